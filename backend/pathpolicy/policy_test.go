package pathpolicy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckAdmitsOnlyPathsUnderRoots(t *testing.T) {
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	other := filepath.Join(base, "other")
	require.NoError(t, os.MkdirAll(filepath.Join(ws, "data"), 0o755))
	require.NoError(t, os.MkdirAll(other, 0o755))
	p := New(Root{Path: ws, Label: "the workspace"})

	for _, ok := range []string{ws, filepath.Join(ws, "data"), filepath.Join(ws, "data", "new", "file.parquet")} {
		got, err := p.Check(ok)
		require.NoError(t, err, ok)
		assert.Equal(t, filepath.Clean(ok), got)
	}
	for _, bad := range []string{other, "/etc/passwd", filepath.Join(ws, "..", "other"), ws + "-sibling", "/"} {
		_, err := p.Check(bad)
		require.Error(t, err, bad)
		assert.True(t, errors.Is(err, ErrOutside), bad)
		assert.Contains(t, err.Error(), "Allowed folders")
		assert.Contains(t, err.Error(), "the workspace ("+ws+")")
	}
}

func TestCheckFollowsSymlinksOutOfARoot(t *testing.T) {
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	secret := filepath.Join(base, "secret")
	require.NoError(t, os.MkdirAll(ws, 0o755))
	require.NoError(t, os.MkdirAll(secret, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(secret, "key.json"), []byte("{}"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(ws, "link")))
	p := New(Root{Path: ws, Label: "the workspace"})

	_, err := p.Check(filepath.Join(ws, "link", "key.json"))
	assert.ErrorIs(t, err, ErrOutside, "a link inside the workspace must not reach outside it")
	_, err = p.Check(filepath.Join(ws, "link", "not-yet", "out"))
	assert.ErrorIs(t, err, ErrOutside, "nor may a path that does not exist yet below such a link")
}

func TestRootReachedThroughSymlink(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	require.NoError(t, os.MkdirAll(real, 0o755))
	link := filepath.Join(base, "link")
	require.NoError(t, os.Symlink(real, link))
	p := New(Root{Path: link, Label: "an allowed folder"})
	_, err := p.Check(filepath.Join(real, "x.jsonl"))
	assert.NoError(t, err)
	_, err = p.Check(filepath.Join(link, "x.jsonl"))
	assert.NoError(t, err)
}

func TestUnrestrictedAndZeroPolicies(t *testing.T) {
	got, err := Unrestricted().Check("/etc/passwd")
	require.NoError(t, err)
	assert.Equal(t, "/etc/passwd", got)
	var zero Policy
	_, err = zero.Check("/tmp")
	assert.ErrorIs(t, err, ErrOutside)
	_, err = New().Check("")
	assert.Error(t, err)
	_, err = New(Root{Path: "/"}).Check("/a\x00b")
	assert.Error(t, err)
}

func TestOutsideErrorCapsTheQuotedPath(t *testing.T) {
	p := New(Root{Path: t.TempDir(), Label: "the workspace"})
	_, err := p.Check("/" + strings.Repeat("a", 10000))
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 1000)
}
