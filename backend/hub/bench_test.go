package hub

import (
	"bytes"
	"context"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/hub/hubtest"
)

// BenchmarkDownloadShards measures the client's own cost per byte (HTTP over
// loopback, sha256, disk writes, symlinks) on two 64 MB LFS shards.
func BenchmarkDownloadShards(b *testing.B) {
	h := hubtest.New(b)
	shard := bytes.Repeat([]byte("0123456789abcdef"), 4<<20) // 64 MiB
	other := append([]byte{1}, shard[1:]...)
	h.AddRepo("model", "acme/big", commitA, map[string]hubtest.File{
		"config.json":         {Content: []byte("{}")},
		"model-1.safetensors": {Content: shard, LFS: true},
		"model-2.safetensors": {Content: other, LFS: true},
	})
	b.SetBytes(int64(2 * len(shard)))
	for i := 0; i < b.N; i++ {
		c := New(Options{Endpoint: h.URL(), CacheDir: b.TempDir()})
		if _, err := c.DownloadModel(context.Background(), "acme/big", "", nil); err != nil {
			b.Fatal(err)
		}
	}
}
