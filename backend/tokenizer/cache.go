package tokenizer

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// maxCachedWord bounds the pieces kept in the word cache: pre-tokenized words
// repeat a lot, whole SentencePiece sentences do not.
const maxCachedWord = 64

// cacheSlots is the number of entries the word cache holds (a power of two):
// enough for the working vocabulary of a large dataset, 2 MB of pointers.
const cacheSlots = 1 << 18

// wordCache memoizes BPE results per piece (ids and byte lengths
// interleaved). It is a direct-mapped table of immutable entries behind
// atomic pointers: a lookup is one hash and one load, with no lock for
// parallel encoders to contend on, and a new word simply evicts whatever
// shared its slot. Memory stays bounded whatever the input.
type wordCache struct {
	seed  maphash.Seed
	slots []atomic.Pointer[cacheEntry]
}

type cacheEntry struct {
	key string
	val []int32
}

func newWordCache() *wordCache {
	return &wordCache{seed: maphash.MakeSeed(), slots: make([]atomic.Pointer[cacheEntry], cacheSlots)}
}

func (c *wordCache) slot(key string) *atomic.Pointer[cacheEntry] {
	return &c.slots[maphash.String(c.seed, key)&(cacheSlots-1)]
}

func (c *wordCache) get(key string) ([]int32, bool) {
	if e := c.slot(key).Load(); e != nil && e.key == key {
		return e.val, true
	}
	return nil, false
}

// put stores a copy of key: the piece usually points into a whole row's
// text, which the cache must not keep alive.
func (c *wordCache) put(key string, val []int32) {
	c.slot(key).Store(&cacheEntry{key: strings.Clone(key), val: val})
}
