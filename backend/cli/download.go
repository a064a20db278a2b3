package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/hub"
)

func downloadCommand() Command {
	return Command{
		Name:    "download",
		Summary: "download a model or dataset from the Hugging Face hub into the shared HF cache",
		Run:     runDownload,
	}
}

// patternList is a repeatable, comma-separable --include/--exclude flag.
type patternList []string

func (p *patternList) String() string { return strings.Join(*p, ",") }

func (p *patternList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*p = append(*p, s)
		}
	}
	return nil
}

func runDownload(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "download", "[--dataset] [--revision REV] [--include GLOB]... [--exclude GLOB]... REPO_ID[@REV]  |  --list")
	dataset := fs.Bool("dataset", false, "the repo is a dataset (default: a model); \"datasets/org/name\" also works")
	revision := fs.String("revision", "", "branch, tag or commit (default main, or the @REV in REPO_ID)")
	var include, exclude patternList
	fs.Var(&include, "include", "download only files matching this glob (repeatable, comma-separated; default: what Whetstone loads)")
	fs.Var(&exclude, "exclude", "skip files matching this glob (repeatable, comma-separated)")
	cacheDir := fs.String("cache-dir", "", "hub cache folder (default $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	offline := fs.Bool("offline", false, "use only the cache, like HF_HUB_OFFLINE=1")
	parallel := fs.Int("parallel", 8, "files downloaded at once")
	verify := fs.Bool("verify", false, "re-hash files already in the cache and replace corrupt ones")
	list := fs.Bool("list", false, "list the models and datasets already in the cache instead of downloading")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	opts := hub.OptionsFromEnv(env.getenv())
	if *cacheDir != "" {
		opts.CacheDir = *cacheDir
	}
	if *list {
		if len(positional) != 0 {
			return fmt.Errorf("%w: --list takes no REPO_ID", ErrUsage)
		}
		return listCache(env, hub.New(opts))
	}
	if len(positional) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: download takes one REPO_ID, got %d arguments", ErrUsage, len(positional))
	}
	ref, err := hub.ParseRef(positional[0])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if ref.IsLocal() {
		return fmt.Errorf("%w: %s is a local path; it can be used directly wherever a hub id is accepted", ErrUsage, ref.Local)
	}
	if ref.Type == hub.Dataset {
		*dataset = true
	}
	if *revision != "" && ref.Revision != "" && *revision != ref.Revision {
		return fmt.Errorf("%w: revision given twice (%s and --revision %s)", ErrUsage, ref.Revision, *revision)
	}
	if *revision == "" {
		*revision = ref.Revision
	}

	opts.Offline = opts.Offline || *offline
	opts.Parallel = *parallel
	opts.Verify = *verify
	printer := newProgressPrinter(env.Stderr)
	opts.Events = printer
	client := hub.New(opts)

	kind := hub.Model
	if *dataset {
		kind = hub.Dataset
	}
	repo := hub.Repo{Type: kind, ID: ref.ID}
	start := time.Now()
	var snap *hub.Snapshot
	switch {
	case len(include) > 0 || len(exclude) > 0:
		snap, err = client.Download(ctx, hub.Request{Repo: repo, Revision: *revision, Include: include, Exclude: exclude})
	case kind == hub.Dataset:
		snap, err = client.DatasetSnapshot(ctx, ref.ID, *revision)
	default:
		snap, err = client.ModelSnapshot(ctx, ref.ID, *revision)
	}
	printer.end()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("download of %s interrupted; run the same command again to resume", repo)
		}
		return err
	}
	how := "downloaded"
	if snap.FromCache {
		how = "served from the cache"
	}
	note := ""
	if snap.Revision == hub.ConvertedParquetRevision && *revision == "" {
		note = " (the hub's parquet conversion, " + hub.ConvertedParquetRevision + ")"
	}
	fmt.Fprintf(env.Stderr, "%s: %d files %s in %s%s\n", repo, len(snap.Files), how, time.Since(start).Round(time.Millisecond), note)
	fmt.Fprintln(env.Stdout, snap.Dir)
	return nil
}

// listCache prints one line per cached repo on stdout.
func listCache(env *Env, client *hub.Client) error {
	repos, err := client.ScanCache()
	if err != nil {
		return err
	}
	if len(repos) == 0 {
		fmt.Fprintf(env.Stderr, "the cache %s holds no models or datasets\n", client.CacheDir())
		return nil
	}
	for _, r := range repos {
		var revs []string
		for _, rev := range r.Revisions {
			name := rev.Commit[:12]
			if len(rev.Refs) > 0 {
				name = strings.Join(rev.Refs, ",")
			}
			revs = append(revs, name)
		}
		fmt.Fprintf(env.Stdout, "%-8s %-48s %10s  %-24s %s\n", r.Repo.Type, r.Repo.ID, hub.FormatBytes(r.SizeOnDisk), strings.Join(revs, " "), r.Revisions[0].Dir)
	}
	return nil
}

// parseInterleaved lets flags follow the positional argument
// ("download org/name --revision v1"), which the flag package alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil // everything after "--" is positional
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// progressPrinter renders hub.progress events on stderr: one line redrawn in
// place on a terminal, a line every few seconds otherwise (logs, pipes).
type progressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	every   time.Duration
	last    time.Time
	width   int
	printed bool
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w, every: 3 * time.Second}
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
			p.every = 200 * time.Millisecond
		}
	}
	return p
}

// Emit implements events.Emitter.
func (p *progressPrinter) Emit(topic string, payload any) {
	pr, ok := payload.(hub.Progress)
	if topic != hub.ProgressTopic || !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !pr.Done && now.Sub(p.last) < p.every {
		return
	}
	if pr.Done && pr.BytesTotal == 0 {
		return
	}
	p.last = now
	line := formatProgress(pr)
	if p.tty {
		pad := ""
		if n := p.width - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(p.w, "\r%s%s", line, pad)
		p.width = len(line)
		p.printed = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// end finishes a redrawn line so later output starts on its own line.
func (p *progressPrinter) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.printed {
		fmt.Fprintln(p.w)
		p.printed = false
	}
}

func formatProgress(p hub.Progress) string {
	pct := 100.0
	if p.BytesTotal > 0 {
		pct = 100 * float64(p.BytesDone) / float64(p.BytesTotal)
	}
	s := fmt.Sprintf("%s  %5.1f%%  %s / %s  %d/%d files", p.Repo, pct, hub.FormatBytes(p.BytesDone), hub.FormatBytes(p.BytesTotal), p.FilesDone, p.FilesTotal)
	if p.Done {
		return s + "  done"
	}
	if p.BytesPerSecond > 0 {
		s += "  " + hub.FormatBytes(int64(p.BytesPerSecond)) + "/s"
	}
	if p.ETASeconds >= 0 {
		s += "  ETA " + (time.Duration(p.ETASeconds) * time.Second).Round(time.Second).String()
	}
	return s
}
