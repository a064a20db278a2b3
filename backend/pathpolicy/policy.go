// Package pathpolicy decides which files a request may name. A service
// reached over HTTP (`whetstone serve`) acts for whoever holds the access
// token, so every path such a request names must lie under a root the user
// allowed: the workspace, the Hugging Face cache, and folders added on the
// desktop or the command line. The desktop window and the CLI act for the
// local user on their own files and use Unrestricted.
package pathpolicy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/quote"
)

// Root is one folder requests may reach, with the words the refusal
// message uses for it.
type Root struct {
	Path string
	// Label names the root for people: "the workspace", "an allowed folder".
	Label string
}

// Policy admits or refuses paths. The zero value refuses everything; use
// New or Unrestricted.
type Policy struct {
	unrestricted bool
	roots        []Root
}

// Unrestricted admits every path: for the CLI and the desktop window,
// which act for the local user.
func Unrestricted() *Policy { return &Policy{unrestricted: true} }

// New admits paths under the given roots. Roots are made absolute and
// their symlinks resolved once, so a root reached through a link still
// contains what lies under its target. A root that does not exist yet is
// kept as written (it contains nothing until it is created).
func New(roots ...Root) *Policy {
	p := &Policy{}
	for _, r := range roots {
		if strings.TrimSpace(r.Path) == "" {
			continue
		}
		abs, err := filepath.Abs(r.Path)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		p.roots = append(p.roots, Root{Path: filepath.Clean(abs), Label: r.Label})
	}
	return p
}

// IsUnrestricted reports whether every path is admitted.
func (p *Policy) IsUnrestricted() bool { return p != nil && p.unrestricted }

// Roots lists the allowed roots (none for an unrestricted policy).
func (p *Policy) Roots() []Root {
	if p == nil {
		return nil
	}
	return append([]Root(nil), p.roots...)
}

// OutsideError refuses a path that lies under no allowed root.
type OutsideError struct {
	Path  string
	Roots []Root
}

func (e *OutsideError) Error() string {
	var names []string
	for _, r := range e.Roots {
		names = append(names, fmt.Sprintf("%s (%s)", r.Label, r.Path))
	}
	allowed := "no folder"
	if len(names) > 0 {
		allowed = strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s is outside the folders this server may use: %s. "+
		"To allow it, add its folder in Settings → Allowed folders in the desktop window, "+
		"or run `whetstone settings allow DIR` (or `whetstone serve --allow DIR`) on this machine",
		quote.Value(e.Path), allowed)
}

// ErrOutside matches every OutsideError with errors.Is.
var ErrOutside = errors.New("path outside the allowed folders")

func (e *OutsideError) Is(target error) bool { return target == ErrOutside }

// Check returns the absolute, cleaned form of path when the policy admits
// it, or an *OutsideError. Symlinks in the part of the path that exists
// are resolved first, so a link inside the workspace that points at /etc
// does not carry a request out of it. The path need not exist (an export
// destination), but a "..", once cleaned, is judged where it leads.
func (p *Policy) Check(path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", errors.New("empty path")
	}
	if strings.ContainsRune(path, 0) {
		return "", fmt.Errorf("path %s contains a NUL byte", quote.Value(path))
	}
	abs, err := filepath.Abs(expandHome(path))
	if err != nil {
		return "", fmt.Errorf("path %s: %w", quote.Value(path), err)
	}
	if p.IsUnrestricted() {
		return abs, nil
	}
	real := resolveExisting(abs)
	if p != nil {
		for _, r := range p.roots {
			if within(r.Path, real) {
				return abs, nil
			}
		}
	}
	return "", &OutsideError{Path: path, Roots: p.Roots()}
}

// Allows reports whether Check would admit path.
func (p *Policy) Allows(path string) bool {
	_, err := p.Check(path)
	return err == nil
}

// within reports whether path is root or lies below it.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// resolveExisting resolves the symlinks of the longest existing prefix of
// abs and joins the rest, which does not exist and so holds no link.
func resolveExisting(abs string) string {
	rest := ""
	cur := abs
	for {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			if rest == "" {
				return real
			}
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// expandHome turns a leading ~ into the home folder, as a shell would.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}
