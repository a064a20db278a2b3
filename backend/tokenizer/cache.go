package tokenizer

import (
	"hash/maphash"
	"sync"
)

// maxCachedWord bounds the pieces kept in the word cache: pre-tokenized words
// repeat a lot, whole SentencePiece sentences do not.
const maxCachedWord = 64

const (
	cacheShards   = 32
	cacheShardCap = 8192
)

// wordCache memoizes BPE results per piece (ids and byte lengths
// interleaved). It is sharded to keep parallel encoders from contending, and
// a full shard is simply emptied: cheap, bounded, good enough for text.
type wordCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]int32
}

func newWordCache() *wordCache {
	c := &wordCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string][]int32)
	}
	return c
}

func (c *wordCache) shard(key string) *cacheShard {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

func (c *wordCache) get(key string) ([]int32, bool) {
	s := c.shard(key)
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	return v, ok
}

func (c *wordCache) put(key string, val []int32) {
	s := c.shard(key)
	s.mu.Lock()
	if len(s.m) >= cacheShardCap {
		clear(s.m)
	}
	s.m[key] = val
	s.mu.Unlock()
}
