package service

import (
	"fmt"
	"slices"

	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// SettingsTopic carries the settings as saved, after each Save.
const SettingsTopic = "settings.changed"

// Settings reads and writes the user's preferences.
type Settings struct{ deps Deps }

// SettingsView is what the Settings screen shows: every preference except
// the hub token's value, which never leaves the process once saved.
type SettingsView struct {
	Backend       string `json:"backend"`
	XLAPluginPath string `json:"xla_plugin_path"`
	Theme         string `json:"theme"`
	// HasToken tells whether a hub token is saved.
	HasToken bool `json:"has_token"`
	// AllowedFolders are the folders requests over HTTP may use besides the
	// workspace and the Hugging Face cache.
	AllowedFolders []string `json:"allowed_folders"`
	// LocalOnly is true where the caller may not change the settings that
	// load code (xla_plugin_path) or widen file reach (allowed_folders):
	// over HTTP. The desktop window and the CLI may.
	LocalOnly bool `json:"local_only"`
}

// SettingsUpdate is the Settings screen's form.
type SettingsUpdate struct {
	Backend        string   `json:"backend"`
	XLAPluginPath  string   `json:"xla_plugin_path"`
	Theme          string   `json:"theme"`
	AllowedFolders []string `json:"allowed_folders"`
	// HubToken, when not empty, replaces the saved token.
	HubToken string `json:"hub_token,omitempty"`
	// ClearHubToken removes the saved token.
	ClearHubToken bool `json:"clear_hub_token,omitempty"`
}

// Get returns the saved settings, or the defaults.
func (s *Settings) Get() (out SettingsView, err error) {
	defer guard(s.deps.Log, "Settings.Get", &err)
	saved, err := s.deps.Workspace.LoadSettings()
	if err != nil {
		return out, err
	}
	return s.view(saved), nil
}

// Save validates and stores the settings; it returns what was stored.
// Over HTTP the plugin path and the allowed folders cannot change: a page
// or a token holder could otherwise make the next start load their code,
// or open the whole disk to the API.
func (s *Settings) Save(in SettingsUpdate) (out SettingsView, err error) {
	defer guard(s.deps.Log, "Settings.Save", &err)
	saved, err := s.deps.Workspace.LoadSettings()
	if err != nil {
		return out, err
	}
	if in.AllowedFolders == nil {
		in.AllowedFolders = []string{}
	}
	current := saved.AllowedFolders
	if current == nil {
		current = []string{}
	}
	if s.deps.Remote {
		if in.XLAPluginPath != saved.XLAPluginPath {
			return out, fmt.Errorf("xla_plugin_path can be changed only in the desktop window or with `whetstone settings set xla_plugin_path=PATH` on this machine: the plugin is code the next start loads")
		}
		if !slices.Equal(in.AllowedFolders, current) {
			return out, fmt.Errorf("allowed_folders can be changed only in the desktop window or with `whetstone settings allow DIR` on this machine")
		}
	}
	next := saved
	next.Backend, next.XLAPluginPath, next.Theme, next.AllowedFolders = in.Backend, in.XLAPluginPath, in.Theme, in.AllowedFolders
	switch {
	case in.ClearHubToken:
		next.HubToken = ""
	case in.HubToken != "":
		next.HubToken = in.HubToken
	}
	if err := s.deps.Workspace.SaveSettings(next); err != nil {
		return out, err
	}
	stored, err := s.deps.Workspace.LoadSettings()
	if err != nil {
		return out, err
	}
	out = s.view(stored)
	s.deps.Events.Emit(SettingsTopic, out)
	return out, nil
}

func (s *Settings) view(w workspace.Settings) SettingsView {
	folders := w.AllowedFolders
	if folders == nil {
		folders = []string{}
	}
	return SettingsView{
		Backend: w.Backend, XLAPluginPath: w.XLAPluginPath, Theme: w.Theme,
		HasToken: w.HubToken != "", AllowedFolders: folders, LocalOnly: s.deps.Remote,
	}
}
