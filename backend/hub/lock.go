package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// keyedMutex serialises work on one key (a blob) inside this process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedEntry
}

type keyedEntry struct {
	ch   chan struct{} // holds one token while locked
	refs int
}

func newKeyedMutex() *keyedMutex { return &keyedMutex{locks: map[string]*keyedEntry{}} }

// lock waits for key, giving up when ctx ends.
func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	e := k.locks[key]
	if e == nil {
		e = &keyedEntry{ch: make(chan struct{}, 1)}
		k.locks[key] = e
	}
	e.refs++
	k.mu.Unlock()
	release := func() {
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, context.Cause(ctx)
	}
}

// lockBlob keeps other goroutines and other processes (huggingface_hub takes
// the same lock file) from writing the same blob at once.
func (c *Client) lockBlob(ctx context.Context, repo Repo, etag string) (func(), error) {
	unlockLocal, err := c.locks.lock(ctx, repo.folderName()+"/"+etag)
	if err != nil {
		return nil, err
	}
	path := c.lockPath(repo, etag)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		unlockLocal()
		return nil, fmt.Errorf("create lock folder %s: %w", filepath.Dir(path), err)
	}
	unlockFile, err := lockFile(ctx, path)
	if err != nil {
		unlockLocal()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { unlockFile(); unlockLocal() }, nil
}
