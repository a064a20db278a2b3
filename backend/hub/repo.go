package hub

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// RepoType is the kind of hub repository.
type RepoType string

// The repository kinds Whetstone downloads.
const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
)

// Repo names one hub repository.
type Repo struct {
	Type RepoType
	// ID is "org/name" (or a bare "name" for a few legacy models).
	ID string
}

// String is the id, prefixed with "datasets/" for datasets as on the hub's web pages.
func (r Repo) String() string {
	if r.Type == Dataset {
		return "datasets/" + r.ID
	}
	return r.ID
}

// plural is the type as it appears in API paths and cache folder names.
func (r Repo) plural() string {
	if r.Type == Dataset {
		return "datasets"
	}
	return "models"
}

// folderName is the repo's folder under the cache root, as huggingface_hub
// names it: models--org--name or datasets--org--name.
func (r Repo) folderName() string {
	return r.plural() + "--" + strings.ReplaceAll(r.ID, "/", "--")
}

// pageURL is where a person accepts a gated repo's licence.
func (r Repo) pageURL(endpoint string) string {
	if r.Type == Dataset {
		return endpoint + "/datasets/" + r.ID
	}
	return endpoint + "/" + r.ID
}

// escapedID is the id with each segment path-escaped.
func (r Repo) escapedID() string {
	parts := strings.Split(r.ID, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// repoIDPattern follows huggingface_hub's validate_repo_id.
var repoIDPattern = regexp.MustCompile(`^([\w\-.]+/)?[\w\-.]{1,96}$`)

// ValidateID reports whether id is a well-formed hub repo id.
func ValidateID(id string) error {
	if !repoIDPattern.MatchString(id) || strings.Contains(id, "--") || strings.Contains(id, "..") ||
		strings.HasPrefix(id, ".") || strings.HasPrefix(id, "-") || strings.HasSuffix(id, ".") || strings.HasSuffix(id, "-") {
		return fmt.Errorf("%q is not a hub repo id (expected org/name with letters, digits, '-', '_' or '.')", id)
	}
	return nil
}

// Ref is a parsed model or dataset reference: either a local folder or a hub
// repo at a revision. A local folder works everywhere a hub id does.
type Ref struct {
	// Local is an absolute path when the reference names a file or folder on disk.
	Local string
	// ID and Revision name a hub repo when Local is empty. Revision is empty
	// for the default branch.
	ID       string
	Revision string
	// Type is Dataset when the reference was written "datasets/org/name",
	// otherwise empty (the caller knows what it asked for).
	Type RepoType
}

// IsLocal reports whether the reference names something on disk.
func (r Ref) IsLocal() bool { return r.Local != "" }

// String formats the reference the way ParseRef reads it.
func (r Ref) String() string {
	if r.Local != "" {
		return r.Local
	}
	s := r.ID
	if r.Type == Dataset {
		s = "datasets/" + s
	}
	if r.Revision != "" {
		s += "@" + r.Revision
	}
	return s
}

// ParseRef reads a reference typed by a user: a path that exists on disk
// (or is written like one: "./x", "/x", "~/x", "C:\x") is local; otherwise
// it must be a hub id, "org/name[@revision]", optionally prefixed with
// "datasets/" or "hf://datasets/".
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, fmt.Errorf("empty model or dataset reference")
	}
	if LooksLikePath(s) {
		p := expandHome(s, os.Getenv)
		if _, err := os.Stat(p); err != nil {
			return Ref{}, fmt.Errorf("local path %s: %w", s, err)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return Ref{}, fmt.Errorf("local path %s: %w", s, err)
		}
		return Ref{Local: abs}, nil
	}
	if _, err := os.Stat(s); err == nil {
		abs, err := filepath.Abs(s)
		if err != nil {
			return Ref{}, fmt.Errorf("local path %s: %w", s, err)
		}
		return Ref{Local: abs}, nil
	}
	var ref Ref
	rest := strings.TrimPrefix(s, "hf://")
	for _, prefix := range []string{"datasets/", "models/"} {
		if strings.HasPrefix(rest, prefix) && strings.Count(rest, "/") >= 2 {
			if prefix == "datasets/" {
				ref.Type = Dataset
			} else {
				ref.Type = Model
			}
			rest = rest[len(prefix):]
		}
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		ref.Revision = rest[at+1:]
		rest = rest[:at]
		if ref.Revision == "" {
			return Ref{}, fmt.Errorf("reference %q: empty revision after '@'", s)
		}
	}
	if err := ValidateID(rest); err != nil {
		return Ref{}, fmt.Errorf("reference %q is neither an existing local path nor a hub id: %w", s, err)
	}
	ref.ID = rest
	return ref, nil
}

// LooksLikePath reports whether a reference is always read as a local path,
// never as a hub id: absolute, starting with ~ or ., or with a Windows
// separator or drive letter.
func LooksLikePath(s string) bool {
	if filepath.IsAbs(s) || strings.HasPrefix(s, "~") || strings.HasPrefix(s, ".") {
		return true
	}
	return strings.Contains(s, `\`) || (len(s) >= 2 && s[1] == ':')
}
