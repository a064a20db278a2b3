package service

import (
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Settings reads and writes the user's preferences.
type Settings struct{ deps Deps }

// SettingsDTO is the Settings screen's form.
type SettingsDTO = workspace.Settings

// Get returns the saved settings, or the defaults.
func (s *Settings) Get() (out SettingsDTO, err error) {
	defer guard(s.deps.Log, "Settings.Get", &err)
	return s.deps.Workspace.LoadSettings()
}

// Save validates and stores the settings; it returns what was stored.
func (s *Settings) Save(in SettingsDTO) (out SettingsDTO, err error) {
	defer guard(s.deps.Log, "Settings.Save", &err)
	if err := s.deps.Workspace.SaveSettings(in); err != nil {
		return out, err
	}
	s.deps.Events.Emit("settings.changed", in)
	return in, nil
}
