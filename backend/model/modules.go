package model

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	mlmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/adapter"
)

// Trained modules (LoRAConfig.ModulesToSave, PEFT's modules_to_save): the
// embeddings and the LM head trained whole next to the adapters, as
// continued pretraining does. Each is a float32 trainable copy of its
// frozen base matrix, which the embedding lookup and the LM head read
// instead of the base one. A model that ties its LM head to its embeddings
// has one matrix for both names, so one variable serves both, and
// naming either trains it (AddLoRA then lists both, as PEFT must load
// both to get the same model). Quantization only touches the decoder
// projections, so the modules are the same with model.quantization set.

// moduleBase is the base weight a savable module replaces (the tied
// matrix for a tied model's LM head).
func (m *Model) moduleBase(short string) string {
	if short == "embed_tokens" || m.cfg.TieWordEmbeddings {
		return embedName
	}
	return lmHeadName
}

// modulesFor is the ModulesToSave a model trains for the configured ones:
// normalized, and both names on a tied model.
func (m *Model) modulesFor(entries []string) ([]string, error) {
	mods, err := adapter.NormalizeModules(entries)
	if err != nil {
		return nil, err
	}
	if len(mods) > 0 && m.cfg.TieWordEmbeddings {
		return adapter.SavableModules(), nil
	}
	return mods, nil
}

// addModules creates the trainable copies of st.cfg.ModulesToSave, one
// per distinct base matrix, named by PEFT's tensor name of the first
// module that uses it.
func (m *Model) addModules(st *loraState) error {
	st.modules = map[string]*mlmodel.Variable{}
	byBase := map[string]*mlmodel.Variable{}
	for _, short := range st.cfg.ModulesToSave {
		base := m.moduleBase(short)
		if v := byBase[base]; v != nil {
			st.modules[short] = v
			continue
		}
		w, err := m.BaseWeight(base)
		if err != nil {
			return err
		}
		v, err := m.newLoRAVar(adapter.ModuleTensorName(short), w.Shape, w.Data)
		if err != nil {
			return err
		}
		byBase[base], st.modules[short] = v, v
	}
	return nil
}

// moduleVar returns the trained module that replaces base weight name.
func (m *Model) moduleVar(name string) (*mlmodel.Variable, bool) {
	if m.lora == nil {
		return nil, false
	}
	for short, v := range m.lora.modules {
		if m.moduleBase(short) == name {
			return v, true
		}
	}
	return nil, false
}

// moduleWeight is weight for the embeddings and the LM head: the trained
// module when there is one, else the frozen base matrix (also while a
// graph builds the base model without its adapters, the reference of
// preference losses: see SequenceLogProbs).
func (m *Model) moduleWeight(g *Graph, name string) *Node {
	if !m.baseModule(g, name) {
		v, _ := m.moduleVar(name)
		return v.NodeValue(g)
	}
	return m.weight(g, name)
}

// baseModule reports whether graph g reads the embeddings or LM head
// (name) from the frozen base matrix rather than a trained module.
func (m *Model) baseModule(g *Graph, name string) bool {
	_, ok := m.moduleVar(name)
	return !ok || adaptersOff(g)
}

// headTrained reports whether the LM head reads a trained module, whose
// gradient the training graphs' loss then computes itself
// (trainedHeadCrossEntropy).
func (m *Model) headTrained() bool {
	_, ok := m.moduleVar(m.moduleBase("lm_head"))
	return ok
}

// trainedHeadCrossEntropy is chunkedCrossEntropy's training-graph loss for
// a trained LM head w: slicedCrossEntropy's value and hidden-state
// gradient, plus w's gradient computed by vocabulary slices.
//
// Autodiff would give w one [V, H] contribution per chunk and sum them
// only when all exist. Here slice [v0, v1) of the gradient is
// Σ_rows (p - onehot)·slope ⊗ h over all rows at once, with
// p = exp(logits - lse) recomputed from the log-sum-exp the loss found:
// each slice is written once and the slices make up the gradient, for one
// more pass of the head's GEMM. Measured on the go backend, 1024 tokens of
// a one-layer model with a trained head of V = 65536, H = 64: a SGD step's
// peak RSS grew 505 MB with autodiff's gradient, 100 MB with this one (20
// MB without a trained module); at V = 32768, H = 256 and 512 tokens, 357
// MB and 149 MB (33 MB), and the step took a third of the time.
func (m *Model) trainedHeadCrossEntropy(h, w, targets, valid *Node) *Node {
	var dw *Node
	return withGradient([]*Node{w}, func(in []*Node) *Node {
		ws, hs := StopGradient(in[0]), StopGradient(h)
		nll, dh, lse := m.slicedNLL(hs, ws, targets, valid)
		surrogate := ReduceAllSum(Mul(h, StopGradient(dh)))
		sum := Add(ReduceAllSum(nll), Sub(surrogate, StopGradient(surrogate)))
		dw = m.headGradient(hs, ws, targets, valid, lse)
		// Autodiff asks for w's custom gradient only if w reaches the
		// output differentiably: one row of it does, as an exact zero.
		anchor := ReduceAllSum(SliceAxis(in[0], 0, AxisRange(0, 1)))
		return Add(sum, Sub(anchor, StopGradient(anchor)))
	}, func(v *Node) []*Node { return []*Node{Mul(dw, v)} })
}

// headGradient is d(Σ nll)/dW for the LM head w [V, H] over rows h [N, H]
// with log-sum-exps lse [N], one vocabulary slice of at most
// lossChunkElements logits at a time.
//
// The go backend runs every node whose inputs are ready, and the slices
// depend only on h and w: unordered, all of them would run at once and
// hold [N, V] probabilities. So slice i's rows of w are gathered with
// indices held back (SchedulingBarrier) until slice i-headSliceLag's
// gradient exists; gathering, not slicing, w leaves w itself out of the
// barrier, which would copy it.
func (m *Model) headGradient(h, w, targets, valid, lse *Node) *Node {
	g := h.Graph()
	n, vocab := h.Shape().Dimensions[0], w.Shape().Dimensions[0]
	cols := max(1, min(vocab, m.lossChunkElements/n))
	lseCol, targetCol := ExpandAxes(lse, -1), ExpandAxes(targets, -1)
	validCol := ExpandAxes(valid, -1)
	var parts []*Node
	for v0 := 0; v0 < vocab; v0 += cols {
		width := min(vocab, v0+cols) - v0
		// Everything [N, width] of the slice derives from ids, so it all
		// waits for the barrier.
		ids := AddScalar(Iota(g, shapes.Make(targets.DType(), width, 1), 0), float64(v0))
		if i := len(parts); i >= headSliceLag {
			ids = SchedulingBarrier(ids, parts[i-headSliceLag])
		}
		logits := dense(h, Gather(w, ids)) // [N, width]
		var slope *Node
		if c := m.cfg.FinalLogitSoftcap; c > 0 {
			logits = softcap(logits, c)
			slope = OneMinus(Square(MulScalar(logits, 1/c)))
		}
		hit := Equal(targetCol, Reshape(ids, 1, width))
		d := Sub(Exp(Sub(logits, lseCol)), ConvertDType(hit, logits.DType()))
		if slope != nil {
			d = Mul(d, slope)
		}
		// A select, not a product: an ignored row's lse is not its
		// log-sum-exp, and its exp may overflow.
		d = Where(BroadcastToShape(validCol, d.Shape()), d, ZerosLike(d))
		parts = append(parts, DotGeneral(d, []int{0}, nil, h, []int{0}, nil)) // [width, H]
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return Concatenate(parts, 0)
}

// headSliceLag is how many vocabulary slices of the head's gradient run
// at once (headGradient).
const headSliceLag = 2

// ModuleVariables returns the trained modules' variables (one for a tied
// model's embeddings and head), in adapter.SavableModules order; they are
// also in TrainableVariables. The trainer gives them
// training.embedding_learning_rate.
func (m *Model) ModuleVariables() []*mlmodel.Variable {
	if m.lora == nil {
		return nil
	}
	var out []*mlmodel.Variable
	for _, short := range m.lora.cfg.ModulesToSave {
		if v := m.lora.modules[short]; !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// moduleState returns the trained modules under PEFT's tensor names, one
// per name in ModulesToSave (a tied model's matrix under both).
func (m *Model) moduleState() ([]HostTensor, error) {
	var out []HostTensor
	for _, short := range m.lora.cfg.ModulesToSave {
		v := m.lora.modules[short]
		data, err := variableFloat32(v)
		if err != nil {
			return nil, err
		}
		out = append(out, HostTensor{Name: adapter.ModuleTensorName(short), Shape: v.Shape().Dimensions, Data: data})
	}
	return out, nil
}

// moduleStateVars maps PEFT's tensor names of the trained modules to their
// variables (a tied model's two names to its one variable).
func (m *Model) moduleStateVars() map[string]*mlmodel.Variable {
	out := map[string]*mlmodel.Variable{}
	for short, v := range m.lora.modules {
		out[adapter.ModuleTensorName(short)] = v
	}
	return out
}

// checkTiedState refuses a state that gives a tied model's one matrix two
// different values under its two names: the model cannot hold both.
func checkTiedState(state []HostTensor, vars map[string]*mlmodel.Variable) error {
	first := map[*mlmodel.Variable]HostTensor{}
	for _, ht := range state {
		v, ok := vars[ht.Name]
		if !ok {
			continue
		}
		if prev, ok := first[v]; ok && !slices.Equal(prev.Data, ht.Data) {
			return fmt.Errorf("model: %s and %s differ, but the model ties its LM head to its embeddings (one matrix for both)", prev.Name, ht.Name)
		}
		first[v] = ht
	}
	return nil
}

// moduleMerged returns a trained module's value for base weight name.
func (m *Model) moduleMerged(name string) (HostTensor, bool, error) {
	v, ok := m.moduleVar(name)
	if !ok {
		return HostTensor{}, false, nil
	}
	data, err := variableFloat32(v)
	if err != nil {
		return HostTensor{}, false, err
	}
	return HostTensor{Name: name, Shape: v.Shape().Dimensions, Data: data}, true, nil
}
