package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func settingsCommand() Command {
	return Command{
		Name:    "settings",
		Summary: "show or change the settings, including those `serve` does not let a browser change",
		Run:     runSettings,
	}
}

// settingsKeys are what `settings set` may change; the hub token is set
// with `settings set hub_token=...` too but never shown.
var settingsKeys = []string{"backend", "xla_plugin_path", "theme", "hub_token"}

func runSettings(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "settings", "[show | set KEY=VALUE... | allow DIR... | disallow DIR...]  (keys: "+strings.Join(settingsKeys, ", ")+")")
	ws := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	root, err := workspace.Resolve(*ws, env.getenv())
	if err != nil {
		return err
	}
	w, err := workspace.Open(root)
	if err != nil {
		return err
	}
	s, err := w.LoadSettings()
	if err != nil {
		return err
	}
	rest := fs.Args()
	verb := "show"
	if len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	switch verb {
	case "show":
		if len(rest) > 0 {
			return fmt.Errorf("%w: settings show takes no arguments", ErrUsage)
		}
		printSettings(env, w, s)
		return nil
	case "set":
		for _, kv := range rest {
			if err := setSetting(&s, kv); err != nil {
				return err
			}
		}
	case "allow":
		for _, dir := range rest {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return fmt.Errorf("allow %s: %w", dir, err)
			}
			if !slices.Contains(s.AllowedFolders, abs) {
				s.AllowedFolders = append(s.AllowedFolders, abs)
			}
		}
	case "disallow":
		for _, dir := range rest {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return fmt.Errorf("disallow %s: %w", dir, err)
			}
			s.AllowedFolders = slices.DeleteFunc(s.AllowedFolders, func(f string) bool { return f == abs })
		}
	default:
		return fmt.Errorf("%w: settings %s: want show, set, allow or disallow", ErrUsage, verb)
	}
	if len(rest) == 0 {
		return fmt.Errorf("%w: settings %s needs at least one argument", ErrUsage, verb)
	}
	if err := w.SaveSettings(s); err != nil {
		return err
	}
	printSettings(env, w, s)
	return nil
}

func setSetting(s *workspace.Settings, kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("%w: %q: want KEY=VALUE", ErrUsage, kv)
	}
	switch key {
	case "backend":
		s.Backend = value
	case "xla_plugin_path":
		s.XLAPluginPath = value
	case "theme":
		s.Theme = value
	case "hub_token":
		s.HubToken = value
	default:
		return fmt.Errorf("%w: unknown setting %q (keys: %s)", ErrUsage, key, strings.Join(settingsKeys, ", "))
	}
	return nil
}

func printSettings(env *Env, w *workspace.Workspace, s workspace.Settings) {
	token := "not set"
	if s.HubToken != "" {
		token = "set (hidden)"
	}
	fmt.Fprintf(env.Stdout, "settings:        %s\nbackend:         %s\nxla_plugin_path: %s\ntheme:           %s\nhub_token:       %s\nallowed folders: ",
		w.SettingsPath(), s.Backend, s.XLAPluginPath, s.Theme, token)
	if len(s.AllowedFolders) == 0 {
		fmt.Fprintln(env.Stdout, "none (serve reaches the workspace and the Hugging Face cache only)")
		return
	}
	fmt.Fprintln(env.Stdout, strings.Join(s.AllowedFolders, ", "))
}
