package service

import (
	"github.com/whetstone-ai/whetstone/backend/hub"
)

// FetchRequest downloads a hub repository into the shared Hugging Face
// cache (`whetstone download`).
type FetchRequest struct {
	// Repo is a hub id, org/name[@revision]; "datasets/org/name" names a
	// dataset.
	Repo string `json:"repo"`
	// Dataset says Repo is a dataset (default: a model).
	Dataset bool `json:"dataset"`
	// Revision is a branch, tag or commit (default main, or Repo's @rev).
	Revision string `json:"revision"`
	// Include downloads only the files matching these globs (default: what
	// Whetstone loads: a model's config, tokenizer and safetensors
	// weights, a dataset's data files); Exclude skips files.
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
	// Parallel is how many files download at once (0: 8).
	Parallel int `json:"parallel"`
	// Verify re-hashes files already in the cache and replaces corrupt ones.
	Verify bool `json:"verify"`
}

// MaxParallel bounds FetchRequest.Parallel.
const MaxParallel = 64

// FetchResult is a snapshot in the cache.
type FetchResult struct {
	// Repo is the id as the hub shows it ("datasets/org/name" for a
	// dataset).
	Repo     string `json:"repo"`
	Revision string `json:"revision"`
	Commit   string `json:"commit"`
	// Dir is the snapshot folder; Files are relative to it.
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
	// FromCache is true when no network was used.
	FromCache bool `json:"from_cache"`
	// ParquetConversion is true when a dataset's files are the hub's
	// automatic parquet conversion (its own format could not be read).
	ParquetConversion bool `json:"parquet_conversion"`
}

// Fetch downloads a model or dataset into the Hugging Face cache, with
// progress on the "hub.progress" topic; what the cache already holds is
// not downloaded again.
func (s *Models) Fetch(req FetchRequest) (out FetchResult, err error) {
	defer guard(s.deps.Log, "Models.Fetch", &err)
	ref, err := hub.ParseRef(req.Repo)
	if err != nil {
		return out, invalid(err)
	}
	if ref.IsLocal() {
		return out, invalidf("%s is a local path; it can be used directly wherever a hub id is accepted", ref.Local)
	}
	if req.Revision != "" && ref.Revision != "" && req.Revision != ref.Revision {
		return out, invalidf("revision given twice (%s and %s)", ref.Revision, req.Revision)
	}
	if req.Parallel < 0 || req.Parallel > MaxParallel {
		return out, invalidf("parallel: must be between 0 (the default, 8) and %d, got %d", MaxParallel, req.Parallel)
	}
	rev := req.Revision
	if rev == "" {
		rev = ref.Revision
	}
	kind := hub.Model
	if req.Dataset || ref.Type == hub.Dataset {
		kind = hub.Dataset
	}
	opts, err := s.deps.hubOptions()
	if err != nil {
		return out, err
	}
	opts.Parallel, opts.Verify = req.Parallel, req.Verify
	client := hub.New(opts)
	repo := hub.Repo{Type: kind, ID: ref.ID}
	var snap *hub.Snapshot
	switch {
	case len(req.Include) > 0 || len(req.Exclude) > 0:
		snap, err = client.Download(s.deps.ctx(), hub.Request{Repo: repo, Revision: rev, Include: req.Include, Exclude: req.Exclude})
	case kind == hub.Dataset:
		snap, err = client.DatasetSnapshot(s.deps.ctx(), ref.ID, rev)
	default:
		snap, err = client.ModelSnapshot(s.deps.ctx(), ref.ID, rev)
	}
	if err != nil {
		return out, err
	}
	files := snap.Files
	if files == nil {
		files = []string{}
	}
	return FetchResult{
		Repo: snap.Repo.String(), Revision: snap.Revision, Commit: snap.Commit, Dir: snap.Dir, Files: files, FromCache: snap.FromCache,
		ParquetConversion: snap.Revision == hub.ConvertedParquetRevision && rev == "",
	}, nil
}

// CachedRepo is a model or dataset in the Hugging Face cache.
type CachedRepo struct {
	// Type is "model" or "dataset".
	Type string `json:"type"`
	ID   string `json:"id"`
	// Dir is the repo's folder in the cache.
	Dir string `json:"dir"`
	// SizeOnDisk counts complete blobs once, however many snapshots use them.
	SizeOnDisk int64 `json:"size_on_disk"`
	// Revisions are the cached snapshots, most recently modified first.
	Revisions []hub.CachedRevision `json:"revisions"`
}

// HubCache lists what the Hugging Face cache holds.
type HubCache struct {
	Dir   string       `json:"dir"`
	Repos []CachedRepo `json:"repos"`
}

// Cache lists the models and datasets in the Hugging Face cache, sorted by
// type then id.
func (s *Models) Cache() (out HubCache, err error) {
	defer guard(s.deps.Log, "Models.Cache", &err)
	opts, err := s.deps.hubOptions()
	if err != nil {
		return out, err
	}
	client := hub.New(opts)
	repos, err := client.ScanCache()
	if err != nil {
		return out, err
	}
	out = HubCache{Dir: client.CacheDir(), Repos: []CachedRepo{}}
	for _, r := range repos {
		out.Repos = append(out.Repos, CachedRepo{Type: string(r.Repo.Type), ID: r.Repo.ID, Dir: r.Dir, SizeOnDisk: r.SizeOnDisk, Revisions: r.Revisions})
	}
	return out, nil
}
