package model

import (
	"math"
	"testing"
)

// refModel is an independent, deliberately naive float64 implementation of
// the Hugging Face forward pass (modeling_gemma3.py, modeling_llama.py,
// modeling_qwen2/3.py), written from the formulas with plain loops. It
// shares nothing with the GoMLX graph code but the weights.
type refModel struct {
	cfg *Config
	w   map[string][]float64
}

func newRefModel(t *testing.T, m *Model) *refModel {
	t.Helper()
	r := &refModel{cfg: m.cfg, w: map[string][]float64{}}
	for _, name := range m.BaseWeightNames() {
		ht, err := m.MergedWeight(name)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(ht.Data))
		for i, x := range ht.Data {
			v[i] = float64(x)
		}
		r.w[name] = v
	}
	return r
}

func (r *refModel) get(name string) []float64 {
	v, ok := r.w[name]
	if !ok {
		panic("reference: no weight " + name)
	}
	return v
}

// matvec computes W·x for W [out, in] row-major.
func matvec(w []float64, x []float64, out int) []float64 {
	in := len(x)
	y := make([]float64, out)
	for o := range out {
		s := 0.0
		for j := range in {
			s += w[o*in+j] * x[j]
		}
		y[o] = s
	}
	return y
}

func (r *refModel) rmsnorm(x []float64, w []float64) []float64 {
	ss := 0.0
	for _, v := range x {
		ss += v * v
	}
	inv := 1 / math.Sqrt(ss/float64(len(x))+r.cfg.RMSNormEps)
	out := make([]float64, len(x))
	for i, v := range x {
		scale := w[i]
		if r.cfg.Arch == Gemma3 {
			scale = 1 + w[i] // Gemma3RMSNorm: x * (1 + weight)
		}
		out[i] = v * inv * scale
	}
	return out
}

// rotate applies rotate_half RoPE to one head vector at position pos.
func rotate(x []float64, pos int, theta float64, rs *RopeScaling) []float64 {
	d := len(x)
	out := make([]float64, d)
	for i := range d / 2 {
		invFreq := math.Pow(theta, -float64(2*i)/float64(d))
		if rs != nil {
			switch rs.Type {
			case "linear":
				invFreq /= rs.Factor
			case "llama3":
				wavelen := 2 * math.Pi / invFreq
				old := float64(rs.OriginalMaxPositionEmbeddings)
				if wavelen > old/rs.LowFreqFactor {
					invFreq /= rs.Factor
				} else if wavelen >= old/rs.HighFreqFactor {
					s := (old/wavelen - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
					invFreq = (1-s)*invFreq/rs.Factor + s*invFreq
				}
			}
		}
		a := float64(pos) * invFreq
		c, s := math.Cos(a), math.Sin(a)
		x1, x2 := x[i], x[i+d/2]
		out[i] = x1*c - x2*s
		out[i+d/2] = x2*c + x1*s
	}
	return out
}

func (r *refModel) forward(tokens []int32) [][]float64 {
	c := r.cfg
	n, h, d := len(tokens), c.HiddenSize, c.HeadDim
	emb := r.get("model.embed_tokens.weight")
	xs := make([][]float64, n)
	for t, tok := range tokens {
		x := make([]float64, h)
		copy(x, emb[int(tok)*h:(int(tok)+1)*h])
		if c.Arch == Gemma3 {
			s := math.Sqrt(float64(h))
			for i := range x {
				x[i] *= s
			}
		}
		xs[t] = x
	}
	for l := range c.NumLayers {
		p := func(s string) string { return layerName(l, s) }
		sliding := c.IsSliding(l)
		theta, rs := c.RopeTheta, c.RopeScaling
		if sliding && c.Arch == Gemma3 {
			theta, rs = c.RopeLocalTheta, nil
		}
		qs := make([][][]float64, n)
		ks := make([][][]float64, n)
		vs := make([][][]float64, n)
		for t := range n {
			hn := r.rmsnorm(xs[t], r.get(p("input_layernorm.weight")))
			q := matvec(r.get(p("self_attn.q_proj.weight")), hn, c.NumHeads*d)
			k := matvec(r.get(p("self_attn.k_proj.weight")), hn, c.NumKVHeads*d)
			v := matvec(r.get(p("self_attn.v_proj.weight")), hn, c.NumKVHeads*d)
			if c.AttentionBias {
				for i, b := range r.get(p("self_attn.q_proj.bias")) {
					q[i] += b
				}
				for i, b := range r.get(p("self_attn.k_proj.bias")) {
					k[i] += b
				}
				for i, b := range r.get(p("self_attn.v_proj.bias")) {
					v[i] += b
				}
			}
			qs[t], ks[t], vs[t] = make([][]float64, c.NumHeads), make([][]float64, c.NumKVHeads), make([][]float64, c.NumKVHeads)
			for hh := range c.NumHeads {
				qh := q[hh*d : (hh+1)*d]
				if c.QKNorm {
					qh = r.rmsnorm(qh, r.get(p("self_attn.q_norm.weight")))
				}
				qs[t][hh] = rotate(qh, t, theta, rs)
			}
			for hh := range c.NumKVHeads {
				kh := k[hh*d : (hh+1)*d]
				if c.QKNorm {
					kh = r.rmsnorm(kh, r.get(p("self_attn.k_norm.weight")))
				}
				ks[t][hh] = rotate(kh, t, theta, rs)
				vs[t][hh] = append([]float64(nil), v[hh*d:(hh+1)*d]...)
			}
		}
		group := c.NumHeads / c.NumKVHeads
		for t := range n {
			attn := make([]float64, c.NumHeads*d)
			for hh := range c.NumHeads {
				kv := hh / group
				scores := make([]float64, t+1)
				mx := math.Inf(-1)
				for s := 0; s <= t; s++ {
					if sliding && t-s >= c.SlidingWindow {
						scores[s] = math.Inf(-1)
						continue
					}
					dot := 0.0
					for i := range d {
						dot += qs[t][hh][i] * ks[s][kv][i]
					}
					dot *= c.AttnScale
					if c.AttnLogitSoftcap > 0 {
						dot = math.Tanh(dot/c.AttnLogitSoftcap) * c.AttnLogitSoftcap
					}
					scores[s] = dot
					mx = math.Max(mx, dot)
				}
				z := 0.0
				for s := range scores {
					scores[s] = math.Exp(scores[s] - mx)
					z += scores[s]
				}
				for s := range scores {
					for i := range d {
						attn[hh*d+i] += scores[s] / z * vs[s][kv][i]
					}
				}
			}
			o := matvec(r.get(p("self_attn.o_proj.weight")), attn, h)
			if c.Arch == Gemma3 {
				o = r.rmsnorm(o, r.get(p("post_attention_layernorm.weight")))
			}
			for i := range xs[t] {
				xs[t][i] += o[i]
			}
			var hn []float64
			if c.Arch == Gemma3 {
				hn = r.rmsnorm(xs[t], r.get(p("pre_feedforward_layernorm.weight")))
			} else {
				hn = r.rmsnorm(xs[t], r.get(p("post_attention_layernorm.weight")))
			}
			gate := matvec(r.get(p("mlp.gate_proj.weight")), hn, c.IntermediateSize)
			up := matvec(r.get(p("mlp.up_proj.weight")), hn, c.IntermediateSize)
			for i := range gate {
				gv := gate[i]
				if c.HiddenAct == "silu" {
					gate[i] = gv / (1 + math.Exp(-gv)) * up[i]
				} else {
					gate[i] = 0.5 * gv * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(gv+0.044715*gv*gv*gv))) * up[i]
				}
			}
			down := matvec(r.get(p("mlp.down_proj.weight")), gate, h)
			if c.Arch == Gemma3 {
				down = r.rmsnorm(down, r.get(p("post_feedforward_layernorm.weight")))
			}
			for i := range xs[t] {
				xs[t][i] += down[i]
			}
		}
		// Attention for all positions of layer l used the inputs of layer l:
		// the loop above reads qs/ks/vs computed before any residual update.
	}
	head := "lm_head.weight"
	if c.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	out := make([][]float64, n)
	for t := range n {
		hn := r.rmsnorm(xs[t], r.get("model.norm.weight"))
		logits := matvec(r.get(head), hn, c.VocabSize)
		if c.FinalLogitSoftcap > 0 {
			for i := range logits {
				logits[i] = math.Tanh(logits[i]/c.FinalLogitSoftcap) * c.FinalLogitSoftcap
			}
		}
		out[t] = logits
	}
	return out
}
