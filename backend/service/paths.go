package service

import (
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
)

// policy is the path policy for this process: unrestricted for the desktop
// window and the CLI; for `serve`, the workspace, the Hugging Face cache,
// the folders allowed in the settings and those given to serve --allow.
// It is rebuilt per call because the allowed folders may change while the
// server runs (`whetstone settings allow DIR`).
func (d Deps) policy() (*pathpolicy.Policy, error) {
	if !d.Remote {
		return pathpolicy.Unrestricted(), nil
	}
	settings, err := d.Workspace.LoadSettings()
	if err != nil {
		return nil, err
	}
	roots := []pathpolicy.Root{
		{Path: d.Workspace.Root, Label: "the workspace"},
		{Path: hub.New(hub.OptionsFromEnv(d.Getenv)).CacheDir(), Label: "the Hugging Face cache"},
	}
	for _, f := range settings.AllowedFolders {
		roots = append(roots, pathpolicy.Root{Path: f, Label: "an allowed folder"})
	}
	for _, f := range d.AllowedRoots {
		roots = append(roots, pathpolicy.Root{Path: f, Label: "a folder given to serve --allow"})
	}
	return pathpolicy.New(roots...), nil
}

// checkPath admits a local file or folder a request names (an adapter, an
// export destination), returning it absolute.
func (d Deps) checkPath(p string) (string, error) {
	pol, err := d.policy()
	if err != nil {
		return "", err
	}
	return pol.Check(p)
}

// checkRef admits a model or dataset reference: a hub id passes (its files
// land in the Hugging Face cache), a local path must pass the policy and
// comes back absolute, so nothing downstream resolves it again against the
// server's working folder. Explicit paths are judged before anything looks
// at the disk, so a refusal says nothing about whether the file exists.
func (d Deps) checkRef(ref string) (string, error) {
	if ref == "" || !d.Remote {
		return ref, nil
	}
	if hub.LooksLikePath(ref) {
		return d.checkPath(ref)
	}
	r, err := hub.ParseRef(ref)
	if err != nil {
		return "", err
	}
	if r.IsLocal() {
		return d.checkPath(r.Local)
	}
	return ref, nil
}
