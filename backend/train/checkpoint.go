package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// A checkpoint is a directory checkpoints/<step>/ holding
//
//	adapter.safetensors    trainable (LoRA) weights, by variable name
//	optimizer.safetensors  AdamW moments: "<name>.exp_avg", "<name>.exp_avg_sq"
//	state.json             step, data position, elapsed time, RNG state
//	manifest.json          size and SHA-256 of each file above
//
// It is built in a temporary sibling directory and renamed into place, and
// manifest.json is written last, so a directory named <step> with a manifest
// whose checksums match is complete by construction; anything else (a crash
// mid-write, a truncated copy, a flipped bit) fails verification and the
// previous checkpoint is used.
const (
	ckptAdapter   = "adapter.safetensors"
	ckptOptimizer = "optimizer.safetensors"
	ckptState     = "state.json"
	ckptManifest  = "manifest.json"
)

// CheckpointState is state.json.
type CheckpointState struct {
	Version int `json:"version"`
	Step    int `json:"step"`
	// MicroBatches consumed so far; with the epoch length it gives the data
	// position (Epoch, Index) of the next micro-batch.
	MicroBatches int     `json:"micro_batches"`
	Epoch        int     `json:"epoch"`
	Index        int     `json:"index"`
	TotalSteps   int     `json:"total_steps"`
	ElapsedS     float64 `json:"elapsed_s"`
	Seed         int64   `json:"seed"`
	Loss         float64 `json:"loss"`
	// RNG is the store's random-number state (dropout), when it exists.
	RNG []uint64 `json:"rng,omitempty"`
}

type manifest struct {
	Files map[string]manifestEntry `json:"files"`
}

type manifestEntry struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Checkpoints lists the steps of the checkpoint directories under dir,
// newest first, without verifying them.
func Checkpoints(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints in %s: %w", dir, err)
	}
	var steps []int
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 {
			steps = append(steps, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(steps)))
	return steps, nil
}

// VerifyCheckpoint checks that the checkpoint directory is complete and its
// files match their recorded checksums.
func VerifyCheckpoint(path string) error {
	data, err := os.ReadFile(filepath.Join(path, ckptManifest))
	if err != nil {
		return fmt.Errorf("checkpoint %s is incomplete: %w", path, err)
	}
	var man manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return fmt.Errorf("checkpoint %s: corrupt manifest: %w", path, err)
	}
	for _, name := range []string{ckptAdapter, ckptOptimizer, ckptState} {
		want, ok := man.Files[name]
		if !ok {
			return fmt.Errorf("checkpoint %s: manifest does not list %s", path, name)
		}
		size, sum, err := fileDigest(filepath.Join(path, name))
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if size != want.Size || sum != want.SHA256 {
			return fmt.Errorf("checkpoint %s: %s does not match its checksum (corrupt or partial)", path, name)
		}
	}
	return nil
}

func fileDigest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// tensorFloat32 copies a variable's value to the host.
func tensorFloat32(v *gmodel.Variable) ([]float32, error) {
	t, err := v.Value()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", v.Path(), err)
	}
	return tensors.CopyFlatData[float32](t)
}

func setFloat32(v *gmodel.Variable, values []float32) error {
	shape := v.Shape()
	if shape.Size() != len(values) {
		return fmt.Errorf("%s: checkpoint has %d values, variable %s needs %d", v.Name(), len(values), shape, shape.Size())
	}
	return v.SetValue(tensors.FromFlatDataAndDimensions(values, shape.Dimensions...))
}

// AdapterTensors returns the trainable weights as float32 safetensors
// tensors named by their variable names.
func AdapterTensors(vars []*gmodel.Variable) ([]safetensors.Tensor, error) {
	out := make([]safetensors.Tensor, 0, len(vars))
	for _, v := range vars {
		vals, err := tensorFloat32(v)
		if err != nil {
			return nil, err
		}
		t, err := safetensors.FromFloat32(v.Name(), safetensors.F32, v.Shape().Dimensions, vals)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// saveCheckpoint writes the checkpoint for st.Step under dir atomically.
func saveCheckpoint(dir string, t *Target, s *optimState, st CheckpointState) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create checkpoints directory: %w", err)
	}
	final := filepath.Join(dir, strconv.Itoa(st.Step))
	tmp, err := os.MkdirTemp(dir, ".tmp-"+strconv.Itoa(st.Step)+"-")
	if err != nil {
		return fmt.Errorf("create checkpoint: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	adapter, err := AdapterTensors(t.Trainable)
	if err != nil {
		return err
	}
	if err := safetensors.WriteFile(filepath.Join(tmp, ckptAdapter), adapter, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	var moments []safetensors.Tensor
	for i, v := range t.Trainable {
		for _, slot := range []struct {
			suffix string
			v      *gmodel.Variable
		}{{".exp_avg", s.m[i]}, {".exp_avg_sq", s.v[i]}} {
			vals, err := tensorFloat32(slot.v)
			if err != nil {
				return err
			}
			tt, err := safetensors.FromFloat32(v.Name()+slot.suffix, safetensors.F32, v.Shape().Dimensions, vals)
			if err != nil {
				return err
			}
			moments = append(moments, tt)
		}
	}
	if err := safetensors.WriteFile(filepath.Join(tmp, ckptOptimizer), moments, nil); err != nil {
		return err
	}
	if rng := t.Store.GetVariable(gmodel.JoinPath("/", gmodel.RNGStateVariableName)); rng != nil && rng.HasValue() {
		val, err := rng.Value()
		if err != nil {
			return fmt.Errorf("read RNG state: %w", err)
		}
		if st.RNG, err = tensors.CopyFlatData[uint64](val); err != nil {
			return fmt.Errorf("read RNG state: %w", err)
		}
	}
	stateData, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(tmp, ckptState), stateData); err != nil {
		return err
	}
	man := manifest{Files: map[string]manifestEntry{}}
	for _, name := range []string{ckptAdapter, ckptOptimizer, ckptState} {
		size, sum, err := fileDigest(filepath.Join(tmp, name))
		if err != nil {
			return err
		}
		man.Files[name] = manifestEntry{Size: size, SHA256: sum}
	}
	manData, _ := json.MarshalIndent(man, "", "  ")
	if err := writeSynced(filepath.Join(tmp, ckptManifest), manData); err != nil {
		return err
	}
	// Replace an older checkpoint of the same step (a resumed run passing it
	// again) only once the new one is complete.
	if _, err := os.Stat(final); err == nil {
		if err := os.RemoveAll(final); err != nil {
			return fmt.Errorf("replace checkpoint %s: %w", final, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("publish checkpoint %s: %w", final, err)
	}
	ok = true
	syncDir(dir)
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// syncDir makes a rename durable where the OS allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// pruneCheckpoints keeps the newest keep checkpoints (0 keeps all) and
// removes temporary directories left by a crash.
func pruneCheckpoints(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	if keep <= 0 {
		return nil
	}
	steps, err := Checkpoints(dir)
	if err != nil {
		return err
	}
	for i, s := range steps {
		if i >= keep {
			if err := os.RemoveAll(filepath.Join(dir, strconv.Itoa(s))); err != nil {
				return fmt.Errorf("remove old checkpoint %d: %w", s, err)
			}
		}
	}
	return nil
}

// loadCheckpoint restores trainable weights, moments and RNG from the
// checkpoint directory path (already verified).
func loadCheckpoint(path string, t *Target, s *optimState) (CheckpointState, error) {
	var st CheckpointState
	data, err := os.ReadFile(filepath.Join(path, ckptState))
	if err != nil {
		return st, fmt.Errorf("read checkpoint state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("checkpoint %s: state.json: %w", path, err)
	}
	read := func(file string, apply func(f *safetensors.File) error) error {
		f, err := safetensors.Open(filepath.Join(path, file))
		if err != nil {
			return err
		}
		defer f.Close()
		return apply(f)
	}
	load := func(f *safetensors.File, name string, v *gmodel.Variable) error {
		info, ok := f.Info(name)
		if !ok {
			return fmt.Errorf("checkpoint %s has no tensor %s (was it written for another LoRA setup?)", path, name)
		}
		vals := make([]float32, info.NumElements())
		if err := f.ReadFloat32(name, vals); err != nil {
			return err
		}
		return setFloat32(v, vals)
	}
	if err := read(ckptAdapter, func(f *safetensors.File) error {
		if len(f.Names()) != len(t.Trainable) {
			return fmt.Errorf("checkpoint %s holds %d adapter tensors, the model has %d", path, len(f.Names()), len(t.Trainable))
		}
		for _, v := range t.Trainable {
			if err := load(f, v.Name(), v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return st, err
	}
	if err := read(ckptOptimizer, func(f *safetensors.File) error {
		for i, v := range t.Trainable {
			if err := load(f, v.Name()+".exp_avg", s.m[i]); err != nil {
				return err
			}
			if err := load(f, v.Name()+".exp_avg_sq", s.v[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return st, err
	}
	if len(st.RNG) > 0 {
		if err := t.Store.SetRNGStateFromSeed(st.Seed); err != nil {
			return st, fmt.Errorf("restore RNG: %w", err)
		}
		rng := t.Store.GetVariable(gmodel.JoinPath("/", gmodel.RNGStateVariableName))
		if rng == nil {
			return st, fmt.Errorf("restore RNG: the store has no RNG state variable")
		}
		if err := rng.SetValue(tensors.FromFlatDataAndDimensions(st.RNG, len(st.RNG))); err != nil {
			return st, fmt.Errorf("restore RNG: %w", err)
		}
	}
	return st, nil
}
