package model

// blockPlan is the static block structure of blockwise attention over a
// sequence of t tokens attending to itself: query blocks of bq tokens, key
// blocks of bk (the last of each may be shorter), and for each query block
// the key blocks that can hold a visible (query, key) pair.
//
// GoMLX graphs are static, so the skipping is decided here, from token
// indices: a key block is skipped when all its keys come after all the
// block's queries (causality) or, on a sliding layer, when all its keys are
// window or more tokens before all its queries. Both are exact whenever
// positions increase by at least one per token within a segment, as packed
// rows have them (positions restart at 0 per sequence; padding has segment
// 0 and sees nothing): a later index is then a later position, and an
// index distance of window or more a position distance of window or more,
// so every skipped pair is one the mask would hide anyway.
type blockPlan struct {
	t, bq, bk int
	// keys[i] are the key blocks query block i visits, ascending.
	keys [][]int
}

func newBlockPlan(t, bq, bk, window int) blockPlan {
	p := blockPlan{t: t, bq: bq, bk: bk}
	for i := range p.numQueryBlocks() {
		qs, qe := p.queryRange(i)
		var js []int
		for j := range p.numKeyBlocks() {
			ks, ke := p.keyRange(j)
			if ks > qe-1 {
				break // every key after every query
			}
			if window > 0 && qs-(ke-1) >= window {
				continue // every key out of every query's window
			}
			js = append(js, j)
		}
		p.keys = append(p.keys, js)
	}
	return p
}

func (p blockPlan) numQueryBlocks() int { return (p.t + p.bq - 1) / p.bq }
func (p blockPlan) numKeyBlocks() int   { return (p.t + p.bk - 1) / p.bk }

// queryRange is query block i's tokens [start, end).
func (p blockPlan) queryRange(i int) (start, end int) { return i * p.bq, min(p.t, (i+1)*p.bq) }

// keyRange is key block j's tokens [start, end).
func (p blockPlan) keyRange(j int) (start, end int) { return j * p.bk, min(p.t, (j+1)*p.bk) }

// pairs counts the (query block, key block) pairs computed.
func (p blockPlan) pairs() int {
	n := 0
	for _, js := range p.keys {
		n += len(js)
	}
	return n
}
