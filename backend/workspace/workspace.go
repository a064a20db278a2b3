// Package workspace locates Whetstone's working folder (runs, settings,
// logs, exports) and loads and saves the user's settings in it.
package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/quote"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// EnvHome overrides the workspace location.
const EnvHome = "WHETSTONE_HOME"

// Workspace is a folder holding everything a user makes with Whetstone.
type Workspace struct {
	Root string
}

// Resolve picks the workspace folder: the explicit flag value, then
// $WHETSTONE_HOME, then the user's data directory.
func Resolve(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if v := getenv(EnvHome); v != "" {
		return filepath.Abs(v)
	}
	if v := getenv("XDG_DATA_HOME"); v != "" {
		return filepath.Join(v, "whetstone"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory for the default workspace (set %s): %w", EnvHome, err)
	}
	return filepath.Join(home, ".local", "share", "whetstone"), nil
}

// Open creates the workspace layout under root if needed.
func Open(root string) (*Workspace, error) {
	if strings.TrimSpace(root) == "" {
		return nil, errors.New("workspace folder is empty")
	}
	w := &Workspace{Root: root}
	for _, d := range []string{w.RunsDir(), w.LogsDir(), w.ExportsDir(), w.ModelsDir(), w.CacheDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create workspace folder %s: %w", d, err)
		}
	}
	return w, nil
}

// RunsDir holds one folder per training run.
func (w *Workspace) RunsDir() string { return filepath.Join(w.Root, "runs") }

// LogsDir holds the application logs.
func (w *Workspace) LogsDir() string { return filepath.Join(w.Root, "logs") }

// ExportsDir is the default destination of exports.
func (w *Workspace) ExportsDir() string { return filepath.Join(w.Root, "exports") }

// ModelsDir holds models the app made itself (the offline demo model).
func (w *Workspace) ModelsDir() string { return filepath.Join(w.Root, "models") }

// CacheDir holds derived data such as tokenized datasets.
func (w *Workspace) CacheDir() string { return filepath.Join(w.Root, "cache") }

// SettingsPath is the settings file.
func (w *Workspace) SettingsPath() string { return filepath.Join(w.Root, "settings.json") }

// Settings are the user's preferences, edited on the Settings screen.
type Settings struct {
	// Backend is one of Backends: "go" (pure Go, CPU) or "xla".
	Backend string `json:"backend"`
	// XLAPluginPath is the PJRT plugin (.so) used when Backend is "xla".
	XLAPluginPath string `json:"xla_plugin_path"`
	// HubToken authenticates with the Hugging Face hub; empty uses HF_TOKEN.
	// It is a secret: settings.json is written 0600, and the services never
	// return it or put it in an event.
	HubToken string `json:"hub_token"`
	// Theme is one of Themes.
	Theme string `json:"theme"`
	// AllowedFolders are folders, beyond the workspace and the Hugging Face
	// cache, that requests over HTTP may read and write (see pathpolicy).
	AllowedFolders []string `json:"allowed_folders,omitempty"`
}

// Backends are the compute backends Settings.Backend names, the default
// first: pure Go on the CPU, or XLA through a PJRT plugin.
var Backends = []string{"go", "xla"}

// Themes are the values of Settings.Theme, the default first: "system"
// follows the OS.
var Themes = []string{"system", "light", "dark"}

// DefaultSettings are used until the user saves their own.
func DefaultSettings() Settings {
	return Settings{Backend: Backends[0], Theme: Themes[0]}
}

// Validate checks the settings' values.
func (s Settings) Validate() error {
	if !slices.Contains(Backends, s.Backend) {
		return fmt.Errorf("settings: backend %s is not one of %s", quote.Value(s.Backend), quoteAll(Backends))
	}
	if s.Backend == "xla" && s.XLAPluginPath != "" {
		if _, err := os.Stat(s.XLAPluginPath); err != nil {
			return fmt.Errorf("settings: xla_plugin_path %s: %w", quote.Value(s.XLAPluginPath), err)
		}
	}
	if !slices.Contains(Themes, s.Theme) {
		return fmt.Errorf("settings: theme %s is not one of %s", quote.Value(s.Theme), quoteAll(Themes))
	}
	if len(s.AllowedFolders) > MaxAllowedFolders {
		return fmt.Errorf("settings: %d allowed folders, more than %d", len(s.AllowedFolders), MaxAllowedFolders)
	}
	for _, f := range s.AllowedFolders {
		if err := CheckAllowedFolder(f); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	return nil
}

// CheckAllowedFolder refuses a folder that cannot be an allowed root of the
// path policy: a relative path, or the whole file system (which would
// switch the policy off). The settings and `serve --allow` both use it.
func CheckAllowedFolder(f string) error {
	if !filepath.IsAbs(f) {
		return fmt.Errorf("allowed folder %s is not an absolute path", quote.Value(f))
	}
	if filepath.Clean(f) == string(filepath.Separator) {
		return fmt.Errorf("allowing the whole file system (%s) would switch the path policy off; choose the folders that hold your models and data", f)
	}
	return nil
}

// MaxAllowedFolders bounds Settings.AllowedFolders.
const MaxAllowedFolders = 64

// LoadSettings reads settings.json, or returns the defaults when absent.
// A file written by a newer Whetstone (a format above SettingsFormat) is
// refused, with the defaults, and left as it is.
func (w *Workspace) LoadSettings() (Settings, error) {
	s := DefaultSettings()
	data, err := os.ReadFile(w.SettingsPath())
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := checkSettingsFormat(w.SettingsPath(), data); err != nil {
		return s, err
	}
	// A settings.json written before it was kept private (or copied with
	// looser permissions) is tightened as soon as it is read.
	if st, err := os.Stat(w.SettingsPath()); err == nil && st.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(w.SettingsPath(), 0o600)
	}
	f := settingsFile{Settings: s}
	if err := json.Unmarshal(data, &f); err != nil {
		return DefaultSettings(), fmt.Errorf("parse %s: %w", w.SettingsPath(), err)
	}
	return f.Settings, nil
}

// SaveSettings validates and atomically writes settings.json, readable by
// its owner only since it may hold the hub token.
func (w *Workspace) SaveSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	for i, f := range s.AllowedFolders {
		s.AllowedFolders[i] = filepath.Clean(f)
	}
	// Never replace what a newer Whetstone wrote, even when the caller
	// went on with the defaults after LoadSettings refused it.
	if data, err := os.ReadFile(w.SettingsPath()); err == nil {
		if err := checkSettingsFormat(w.SettingsPath(), data); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(settingsFile{Format: SettingsFormat, Settings: s}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	return safefile.Write(w.SettingsPath(), append(data, '\n'), 0o600)
}

// quoteAll lists names as the settings messages quote them: "a", "b".
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
