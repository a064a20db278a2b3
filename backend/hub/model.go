package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
)

// modelSideFiles are the small files a model needs besides its weights:
// architecture, generation defaults, tokenizer, chat template, and the
// adapter config of LoRA repos. Only top-level files count.
var modelSideFiles = []string{
	"config.json",
	"generation_config.json",
	"tokenizer.json",
	"tokenizer_config.json",
	"tokenizer.model",
	"special_tokens_map.json",
	"added_tokens.json",
	"vocab.json",
	"merges.txt",
	"chat_template.jinja",
	"chat_template.json",
	"adapter_config.json",
}

// safetensorsIndex is the weight map that sharded checkpoints ship with.
const safetensorsIndex = "model.safetensors.index.json"

// DownloadModel makes a model revision available and returns its snapshot
// folder. With no patterns it picks what Whetstone loads: config, generation
// config, tokenizer files, chat template and the safetensors weights (the
// shards named by model.safetensors.index.json when there is one, so
// duplicate "consolidated" checkpoints are skipped). Patterns replace that
// choice with huggingface_hub-style globs.
func (c *Client) DownloadModel(ctx context.Context, repoID, revision string, patterns []string) (string, error) {
	repo := Repo{Type: Model, ID: repoID}
	var snap *Snapshot
	var err error
	if len(patterns) > 0 {
		snap, err = c.Download(ctx, Request{Repo: repo, Revision: revision, Include: patterns})
	} else {
		snap, err = c.ModelSnapshot(ctx, repoID, revision)
	}
	if err != nil {
		return "", err
	}
	return snap.Dir, nil
}

// ModelSnapshot is DownloadModel's default selection returning the whole
// snapshot (commit, files, whether the cache alone served it).
func (c *Client) ModelSnapshot(ctx context.Context, repoID, revision string) (*Snapshot, error) {
	return c.snapshot(ctx, Repo{Type: Model, ID: repoID}, revision, planModel)
}

// planModel chooses the default model files of a revision.
func planModel(ctx context.Context, v repoView) ([]string, error) {
	var chosen []string
	for _, f := range modelSideFiles {
		if has(v, f) {
			chosen = append(chosen, f)
		}
	}
	weights, err := modelWeights(ctx, v)
	if err != nil {
		return nil, err
	}
	return append(chosen, weights...), nil
}

// modelWeights lists the safetensors files to load.
func modelWeights(ctx context.Context, v repoView) ([]string, error) {
	if has(v, safetensorsIndex) {
		raw, err := v.read(ctx, safetensorsIndex)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", safetensorsIndex, err)
		}
		shards, err := indexShards(raw)
		if err != nil {
			return nil, err
		}
		_, cached := v.(*localView) // the cache check reports missing shards itself
		for _, s := range shards {
			if !cached && !has(v, s) {
				return nil, fmt.Errorf("%s names shard %s, which the repo does not have", safetensorsIndex, s)
			}
		}
		return append([]string{safetensorsIndex}, shards...), nil
	}
	if has(v, "model.safetensors") {
		return []string{"model.safetensors"}, nil
	}
	var top, other []string
	for _, f := range v.files() {
		if strings.HasSuffix(f, ".safetensors") {
			if strings.Contains(f, "/") {
				other = append(other, f)
			} else {
				top = append(top, f)
			}
		}
	}
	if len(top) > 0 {
		return top, nil
	}
	hint := ""
	for _, f := range v.files() {
		switch path.Ext(f) {
		case ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack":
			hint = fmt.Sprintf(" (it has %s: convert the weights to safetensors first)", f)
		}
		if hint != "" {
			break
		}
	}
	if len(other) > 0 {
		hint = fmt.Sprintf(" at the top level (it has %s: pass it with --include)", other[0])
	}
	return nil, fmt.Errorf("no safetensors weights%s", hint)
}

// indexShards reads the distinct shard names of a safetensors index.
func indexShards(raw []byte) ([]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("parse %s: %w", safetensorsIndex, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("%s has an empty weight_map", safetensorsIndex)
	}
	seen := map[string]bool{}
	var shards []string
	for tensor, shard := range idx.WeightMap {
		if err := checkRepoPath(shard); err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", safetensorsIndex, tensor, err)
		}
		if !seen[shard] {
			seen[shard] = true
			shards = append(shards, shard)
		}
	}
	sort.Strings(shards)
	return shards, nil
}

// ResolveModel turns a model reference (a local folder, or a hub id with an
// optional @revision) into a folder that holds the model, downloading it
// into the cache when needed.
func (c *Client) ResolveModel(ctx context.Context, ref string) (string, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return "", err
	}
	if r.IsLocal() {
		info, err := os.Stat(r.Local)
		if err != nil {
			return "", fmt.Errorf("model folder %s: %w", r.Local, err)
		}
		if !info.IsDir() {
			return "", fmt.Errorf("model %s is a file; give the folder that holds config.json and the safetensors weights", r.Local)
		}
		return r.Local, nil
	}
	if r.Type == Dataset {
		return "", fmt.Errorf("%q names a dataset, not a model", ref)
	}
	return c.DownloadModel(ctx, r.ID, r.Revision, nil)
}
