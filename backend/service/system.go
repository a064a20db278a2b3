package service

import (
	"runtime"
)

// System describes the running app.
type System struct {
	deps Deps
	// dialogs are the window's file dialogs (PickPath), once attached.
	dialogs dialogSlot
}

// SystemInfo is shown in the header and on the Settings screen.
type SystemInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	Workspace string `json:"workspace"`
	// Backend is the compute backend in use, e.g. "go (pure Go, CPU)".
	Backend       string `json:"backend"`
	BackendReason string `json:"backend_reason"`
}

// Info reports version, platform, workspace and compute backend.
func (s *System) Info() (info SystemInfo, err error) {
	defer guard(s.deps.Log, "System.Info", &err)
	// The desktop test (frontend/e2e/desktop.sh) waits for this line: it proves the UI loaded
	// and reached Go through the bindings.
	s.deps.Log.Debug().Str("op", "System.Info").Msg("call")
	c, err := s.deps.compute.open()
	if err != nil {
		return info, err
	}
	active := c.info
	return SystemInfo{
		Version:   s.deps.Version,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Workspace: s.deps.Workspace.Root,
		Backend:   active.Name + " (" + active.Description + ")",
		// Why this backend: the settings, GOMLX_BACKEND, or a fallback
		// because the chosen one failed to start. Settings apply at the
		// next start.
		BackendReason: active.Reason,
	}, nil
}
