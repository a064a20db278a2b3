package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/service"
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
	if *list && len(positional) != 0 {
		return fmt.Errorf("%w: --list takes no REPO_ID", ErrUsage)
	}
	if !*list && len(positional) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: download takes one REPO_ID, got %d arguments", ErrUsage, len(positional))
	}
	// --cache-dir and --offline are the variables huggingface_hub reads,
	// set for this command only.
	getenv := env.getenv()
	vars := map[string]string{}
	if *cacheDir != "" {
		vars["HF_HUB_CACHE"] = *cacheDir
	}
	if *offline {
		vars["HF_HUB_OFFLINE"] = "1"
	}
	t, err := openTerminal(ctx, env, termOptions{getenv: func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}})
	if err != nil {
		return err
	}
	defer t.Close()
	if *list {
		return listCache(env, t.svc.Models)
	}
	start := time.Now()
	res, err := t.svc.Models.Fetch(service.FetchRequest{
		Repo: positional[0], Dataset: *dataset, Revision: *revision, Include: include, Exclude: exclude,
		Parallel: *parallel, Verify: *verify,
	})
	t.out.end()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("download of %s interrupted; run the same command again to resume", positional[0])
		}
		return usage(err)
	}
	how := "downloaded"
	if res.FromCache {
		how = "served from the cache"
	}
	note := ""
	if res.ParquetConversion {
		note = " (the hub's parquet conversion, " + res.Revision + ")"
	}
	fmt.Fprintf(env.Stderr, "%s: %d files %s in %s%s\n", res.Repo, len(res.Files), how, time.Since(start).Round(time.Millisecond), note)
	fmt.Fprintln(env.Stdout, res.Dir)
	return nil
}

// listCache prints one line per cached repo on stdout.
func listCache(env *Env, models *service.Models) error {
	cache, err := models.Cache()
	if err != nil {
		return err
	}
	if len(cache.Repos) == 0 {
		fmt.Fprintf(env.Stderr, "the cache %s holds no models or datasets\n", cache.Dir)
		return nil
	}
	for _, r := range cache.Repos {
		var revs []string
		for _, rev := range r.Revisions {
			name := rev.Commit[:12]
			if len(rev.Refs) > 0 {
				name = strings.Join(rev.Refs, ",")
			}
			revs = append(revs, name)
		}
		fmt.Fprintf(env.Stdout, "%-8s %-48s %10s  %-24s %s\n", r.Type, r.ID, service.FormatBytes(r.SizeOnDisk), strings.Join(revs, " "), r.Revisions[0].Dir)
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
	if isTerminal(w) {
		p.tty = true
		p.every = 200 * time.Millisecond
	}
	return p
}

// Emit implements events.Emitter.
func (p *progressPrinter) Emit(topic string, payload any) {
	pr, ok := payload.(service.HubProgress)
	if !ok {
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

func formatProgress(p service.HubProgress) string {
	pct := 100.0
	if p.BytesTotal > 0 {
		pct = 100 * float64(p.BytesDone) / float64(p.BytesTotal)
	}
	s := fmt.Sprintf("%s  %5.1f%%  %s / %s  %d/%d files", p.Repo, pct, service.FormatBytes(p.BytesDone), service.FormatBytes(p.BytesTotal), p.FilesDone, p.FilesTotal)
	if p.Done {
		return s + "  done"
	}
	if p.BytesPerSecond > 0 {
		s += "  " + service.FormatBytes(int64(p.BytesPerSecond)) + "/s"
	}
	if p.ETASeconds >= 0 {
		s += "  ETA " + (time.Duration(p.ETASeconds) * time.Second).Round(time.Second).String()
	}
	return s
}
