package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/xslices"

	"github.com/whetstone-ai/whetstone/backend/adapter"
)

// AllLinear is every projection LoRA can adapt.
var AllLinear = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// LoRAConfig describes the adapters (the fields of PEFT's LoraConfig that
// matter here).
type LoRAConfig struct {
	Rank  int
	Alpha float64
	// Dropout is applied to the adapter's input while training.
	Dropout float64
	// RSLoRA scales by alpha/sqrt(rank) instead of alpha/rank.
	RSLoRA bool
	// TargetModules are module names from AllLinear; empty means all.
	TargetModules []string
	// Seed drives the initialization of A.
	Seed int64
	// ModulesToSave are base modules trained whole next to the adapters
	// (PEFT's modules_to_save): "embed_tokens" and/or "lm_head". A model
	// that ties its LM head to its embeddings trains its one matrix for
	// either, and lists both (see modules.go).
	ModulesToSave []string
}

// Scale is the factor applied to B·A (adapter.Scale).
func (c LoRAConfig) Scale() float64 { return adapter.Scale(c.Alpha, c.Rank, c.RSLoRA) }

func (c *LoRAConfig) validate() error {
	if c.Rank <= 0 {
		return fmt.Errorf("LoRA rank must be positive, got %d", c.Rank)
	}
	if c.Alpha <= 0 {
		return fmt.Errorf("LoRA alpha must be positive, got %g", c.Alpha)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("LoRA dropout must be in [0, 1), got %g", c.Dropout)
	}
	if len(c.TargetModules) == 0 {
		c.TargetModules = slices.Clone(AllLinear)
	}
	for _, t := range c.TargetModules {
		if _, ok := projModules[t]; !ok {
			return fmt.Errorf("LoRA target module %q is not one of %s", t, strings.Join(AllLinear, ", "))
		}
	}
	if _, err := adapter.NormalizeModules(c.ModulesToSave); err != nil {
		return fmt.Errorf("LoRA %w", err)
	}
	return nil
}

type loraPair struct{ a, b *mlmodel.Variable }

type loraState struct {
	cfg   LoRAConfig
	pairs map[string]loraPair // key: canonical module path "model.layers.3.self_attn.q_proj"
	// modules are the trained modules by short name ("embed_tokens"); a
	// tied model's two names share one variable.
	modules map[string]*mlmodel.Variable
}

// modulePath is the canonical path of a layer's projection module.
func modulePath(layer int, module string) string { return layerName(layer, projModules[module]) }

// PEFTName returns the PEFT tensor name of a LoRA matrix ("A" or "B") of a
// canonical module path, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight.
func PEFTName(module, which string) string {
	return "base_model.model." + module + ".lora_" + which + ".weight"
}

// AddLoRA attaches fresh adapters: A drawn like PyTorch's
// kaiming_uniform_(a=√5) (uniform in ±1/√in, what PEFT uses), B zeros, so
// the model's output is unchanged until B is trained. Initialization runs
// in float32 on the host (GoMLX's bf16 random initializers return zeros).
func (m *Model) AddLoRA(cfg LoRAConfig) (err error) {
	defer catch(&err, "add LoRA")
	if m.lora != nil {
		return fmt.Errorf("model: LoRA adapters already attached")
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	mods, err := m.modulesFor(cfg.ModulesToSave)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	cfg.ModulesToSave = mods
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x10a))
	st := &loraState{cfg: cfg, pairs: map[string]loraPair{}}
	for i := range m.cfg.NumLayers {
		for _, mod := range AllLinear {
			if !slices.Contains(cfg.TargetModules, mod) {
				continue
			}
			shape := projShape(m.cfg, mod)
			out, in := shape[0], shape[1]
			bound := 1 / math.Sqrt(float64(in))
			aVals := make([]float32, cfg.Rank*in)
			for j := range aVals {
				aVals[j] = float32((2*rng.Float64() - 1) * bound)
			}
			path := modulePath(i, mod)
			a, err := m.newLoRAVar(PEFTName(path, "A"), []int{cfg.Rank, in}, aVals)
			if err != nil {
				return err
			}
			b, err := m.newLoRAVar(PEFTName(path, "B"), []int{out, cfg.Rank}, nil)
			if err != nil {
				return err
			}
			st.pairs[path] = loraPair{a: a, b: b}
		}
	}
	if err := m.addModules(st); err != nil {
		return err
	}
	m.lora = st
	m.resetExecs()
	return nil
}

func (m *Model) newLoRAVar(name string, shape []int, vals []float32) (*mlmodel.Variable, error) {
	t, err := m.newTensor(dtypes.Float32, shape)
	if err != nil {
		return nil, err
	}
	if vals != nil {
		if err := fillFromFloat32(t, vals); err != nil {
			return nil, err
		}
	}
	v, err := m.store.CreateVariable(loraScope+"/"+name, t)
	if err != nil {
		return nil, fmt.Errorf("model: variable %s: %w", name, err)
	}
	v.SetTrainable(true)
	return v, nil
}

// LoRA returns the adapter configuration, or nil without adapters.
func (m *Model) LoRA() *LoRAConfig {
	if m.lora == nil {
		return nil
	}
	c := m.lora.cfg
	c.TargetModules = slices.Clone(c.TargetModules)
	c.ModulesToSave = slices.Clone(c.ModulesToSave)
	return &c
}

// TrainableVariables returns the LoRA variables (A then B per module, in
// layer and module order), then the trained modules' (ModuleVariables).
func (m *Model) TrainableVariables() []*mlmodel.Variable {
	if m.lora == nil {
		return nil
	}
	var out []*mlmodel.Variable
	for _, path := range m.loraPaths() {
		p := m.lora.pairs[path]
		out = append(out, p.a, p.b)
	}
	return append(out, m.ModuleVariables()...)
}

func (m *Model) loraPaths() []string {
	var paths []string
	for p := range m.lora.pairs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// LoRAState returns copies of all adapter matrices under their PEFT names,
// A then B per module as in TrainableVariables, then the trained modules
// under theirs, one per name in ModulesToSave (a tied model's matrix
// under both).
func (m *Model) LoRAState() (out []HostTensor, err error) {
	defer catch(&err, "LoRA state")
	if m.lora == nil {
		return nil, fmt.Errorf("model: no LoRA adapters attached")
	}
	for _, path := range m.loraPaths() {
		p := m.lora.pairs[path]
		for _, v := range []*mlmodel.Variable{p.a, p.b} {
			data, err := variableFloat32(v)
			if err != nil {
				return nil, err
			}
			out = append(out, HostTensor{Name: v.Name(), Shape: v.Shape().Dimensions, Data: data})
		}
	}
	mods, err := m.moduleState()
	if err != nil {
		return nil, err
	}
	return append(out, mods...), nil
}

// SetLoRAState replaces adapter matrices and trained modules by PEFT name
// (resuming training or loading an adapter). Every given tensor must exist
// with the same shape; a tied model's matrix may be given under both its
// names, with the same values.
func (m *Model) SetLoRAState(state []HostTensor) (err error) {
	defer catch(&err, "set LoRA state")
	if m.lora == nil {
		return fmt.Errorf("model: no LoRA adapters attached")
	}
	byName := m.moduleStateVars()
	if err := checkTiedState(state, byName); err != nil {
		return err
	}
	for _, v := range m.TrainableVariables() {
		byName[v.Name()] = v
	}
	for _, ht := range state {
		v, ok := byName[ht.Name]
		if !ok {
			return fmt.Errorf("model: no LoRA tensor %q (targets %v, rank %d, modules_to_save %v)", ht.Name, m.lora.cfg.TargetModules, m.lora.cfg.Rank, m.lora.cfg.ModulesToSave)
		}
		if !slices.Equal(v.Shape().Dimensions, ht.Shape) {
			return fmt.Errorf("model: LoRA tensor %q has shape %v, want %v", ht.Name, ht.Shape, v.Shape().Dimensions)
		}
		t, err := m.newTensor(dtypes.Float32, ht.Shape)
		if err != nil {
			return err
		}
		if err := fillFromFloat32(t, ht.Data); err != nil {
			return err
		}
		if err := v.SetValue(t); err != nil {
			return fmt.Errorf("model: LoRA tensor %q: %w", ht.Name, err)
		}
	}
	return nil
}

// AttachAdapter adds a saved PEFT adapter to m, its LoRA layers and its
// trained modules (chat and evaluation load an adapter this way). An
// adapter whose modules a tied model cannot hold is refused
// (adapter.CheckTied).
func (m *Model) AttachAdapter(ad *adapter.Adapter) error {
	c := ad.Config
	if err := ad.CheckTied(m.cfg.TieWordEmbeddings); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	err := m.AddLoRA(LoRAConfig{Rank: c.R, Alpha: c.LoraAlpha, Dropout: c.LoraDropout, RSLoRA: c.UseRSLoRA,
		TargetModules: c.TargetModules, ModulesToSave: c.ModulesToSave})
	if err != nil {
		return err
	}
	var state []HostTensor
	for _, mod := range ad.Modules() {
		l := ad.Layers[mod]
		state = append(state,
			HostTensor{Name: PEFTName(mod, "A"), Shape: []int{l.R, l.In}, Data: l.A},
			HostTensor{Name: PEFTName(mod, "B"), Shape: []int{l.Out, l.R}, Data: l.B})
	}
	for _, n := range ad.SavedNames() {
		mod := ad.Saved[n]
		state = append(state, HostTensor{Name: adapter.ModuleTensorName(n), Shape: mod.Shape, Data: mod.Data})
	}
	return m.SetLoRAState(state)
}

// Adapter returns the attached adapters and trained modules as a PEFT
// adapter for base model base (base_model_name_or_path), the inverse of
// AttachAdapter.
func (m *Model) Adapter(base string) (ad *adapter.Adapter, err error) {
	defer catch(&err, "adapter")
	if m.lora == nil {
		return nil, fmt.Errorf("model: no LoRA adapters attached")
	}
	c := m.lora.cfg
	ad = &adapter.Adapter{
		Config: adapter.NewAdapterConfig(base, c.Rank, c.Alpha, c.Dropout, slices.Clone(c.TargetModules), c.RSLoRA),
		Layers: map[string]*adapter.LoRA{}, Saved: map[string]*adapter.Module{},
	}
	ad.Config.ModulesToSave = slices.Clone(c.ModulesToSave)
	for _, path := range m.loraPaths() {
		p := m.lora.pairs[path]
		a, err := variableFloat32(p.a)
		if err != nil {
			return nil, err
		}
		b, err := variableFloat32(p.b)
		if err != nil {
			return nil, err
		}
		ad.Layers[path] = &adapter.LoRA{Module: path, R: c.Rank, In: p.a.Shape().Dimensions[1], Out: p.b.Shape().Dimensions[0], A: a, B: b}
	}
	mods, err := m.moduleState()
	if err != nil {
		return nil, err
	}
	for i, short := range c.ModulesToSave {
		ad.Saved[short] = &adapter.Module{Name: short, Shape: mods[i].Shape, Data: mods[i].Data}
	}
	return ad, nil
}

// MergedWeight returns base weight name with its adapter folded in,
// W + scale·B·A, as float32 (the weight itself when it has no adapter, the
// trained module when one replaces it).
func (m *Model) MergedWeight(name string) (HostTensor, error) {
	if mod, ok, err := m.moduleMerged(name); ok || err != nil {
		return mod, err
	}
	w, err := m.BaseWeight(name)
	if err != nil || m.lora == nil {
		return w, err
	}
	p, ok := m.lora.pairs[strings.TrimSuffix(name, ".weight")]
	if !ok || !strings.HasSuffix(name, ".weight") {
		return w, nil
	}
	a, err := variableFloat32(p.a)
	if err != nil {
		return HostTensor{}, err
	}
	b, err := variableFloat32(p.b)
	if err != nil {
		return HostTensor{}, err
	}
	out, in, r := w.Shape[0], w.Shape[1], m.lora.cfg.Rank
	scale := float32(m.lora.cfg.Scale())
	for o := range out {
		row := w.Data[o*in : (o+1)*in]
		for k := range r {
			bk := scale * b[o*r+k]
			if bk == 0 {
				continue
			}
			ak := a[k*in : (k+1)*in]
			for j := range row {
				row[j] += bk * ak[j]
			}
		}
	}
	return w, nil
}

// linear applies a layer's projection module to x: x·Wᵀ (+ bias) plus, when
// adapted, scale·dropout(x)·Aᵀ·Bᵀ. The adapter path goes through the rank-r
// bottleneck; it never forms B·A.
func (m *Model) linear(x *Node, layer int, module string) *Node {
	g := x.Graph()
	// Activations stay [B, T, n]. Flattening them to [rows, n] (so the
	// backend's weight-gradient transposes take its 2-D path) measured
	// 15-28% slower on the 5m and 30m benchmarks: that 2-D transpose
	// writes with a stride of the row count (see backend/bench/README.md).
	path := modulePath(layer, module)
	var y *Node
	if qw, ok := m.qbase[path+".weight"]; ok {
		y = qw.dense(x)
	} else {
		y = m.baseDense(x, path+".weight")
	}
	if m.cfg.AttentionBias && (module == "q_proj" || module == "k_proj" || module == "v_proj") {
		y = Add(y, ExpandLeftToRank(m.weight(g, path+".bias"), y.Rank()))
	}
	if p, ok := m.loraPair(path); ok && !adaptersOff(g) {
		xa := x
		if d := m.lora.cfg.Dropout; d > 0 && m.trainingGraph(g) {
			keep := LessThan(m.store.RandomUniform(g, x.Shape()), Scalar(g, x.DType(), 1-d))
			xa = Where(keep, MulScalar(x, 1/(1-d)), ZerosLike(x))
		}
		// A is the left operand: the bottleneck comes out rank-major,
		// [r, B, T]. GoMLX differentiates a DotGeneral with the upstream
		// gradient as the left operand, contracting the other operand's
		// free axes; with A on the left those are trailing, so A's gradient
		// is one GEMM over x as it lies. With x on the left (x·Aᵀ) the go
		// backend first transposed all of x to [in, B, T] for every adapter
		// in every step. The transposes this adds are of the rank-r
		// bottleneck, in/r times smaller.
		lowT := DotGeneral(p.a.NodeValue(g), []int{1}, nil, xa, []int{xa.Rank() - 1}, nil)
		// Scale the rank-r bottleneck, the smallest tensor on the path.
		lowT = MulScalar(lowT, m.lora.cfg.Scale())
		y = Add(y, loraUp(leadingAxisLast(lowT), lowT, p.b.NodeValue(g)))
	}
	return y
}

func (m *Model) loraPair(path string) (loraPair, bool) {
	if m.lora == nil {
		return loraPair{}, false
	}
	p, ok := m.lora.pairs[path]
	return p, ok
}

var _ = tensors.FromShape

// loraUp is low·Bᵀ ([..., r] by B [out, r]) with B's gradient computed as
// (lowᵀ·v)ᵀ from lowT, the same bottleneck laid out [r, ...].
//
// Autodiff of low·Bᵀ would contract the upstream gradient v [..., out]
// over its leading axes as the left operand, and the go backend transposes
// all of v to [out, ...] before that GEMM, for every adapter in every
// step. Here v is the right operand with its contracted axes leading,
// which the GEMM reads as it lies, and only the [r, out] result is
// transposed. low's own gradient still comes from autodiff.
func loraUp(low, lowT, b *Node) *Node {
	return withGradient([]*Node{b}, func(in []*Node) *Node {
		// low·(Bᵀ) with Bᵀ [r, out] materialized (r·out floats): the
		// backend's small-matrix kernel vectorizes the contracted axis
		// when B is read as [out, r], and r (8, 16) fills half a vector
		// or one; laid out [r, out] it vectorizes over out instead.
		if fewRows(low) {
			return dense(low, in[0])
		}
		return DotGeneral(low, []int{low.Rank() - 1}, nil, Transpose(in[0], 0, 1), []int{0}, nil)
	}, func(v *Node) []*Node {
		rank := lowT.Rank()
		grad := DotGeneral(lowT, xslices.Iota(1, rank-1), nil, v, xslices.Iota(0, rank-1), nil) // [r, out]
		return []*Node{Transpose(grad, 0, 1)}
	})
}
