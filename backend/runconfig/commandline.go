package runconfig

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Flags maps the dedicated `whetstone train` flags to config fields; every
// other field is reachable with --set path=value.
var Flags = []struct{ Flag, Field string }{
	{"model", "model.source"},
	{"method", "training.method"},
	{"data", "dataset.path"},
	{"max-steps", "training.max_steps"},
	{"lr", "training.learning_rate"},
	{"rank", "lora.r"},
	{"out", "output"},
}

// Set assigns one field by its dotted YAML path, parsing value as YAML
// ("8", "2e-4", "true", "[q_proj, v_proj]"). Unknown paths and ill-typed
// values are errors naming the field.
func (c *Config) Set(path, value string) error {
	parts := strings.Split(path, ".")
	for _, p := range parts {
		if p == "" {
			return fmt.Errorf("set %q: empty path element", path)
		}
	}
	var v any
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		return fmt.Errorf("set %s: parse value %q: %w", path, value, err)
	}
	if v == nil && value != "null" && value != "~" {
		// An empty value clears a string field; YAML would read it as null
		// and leave the field untouched.
		v = value
	}
	var node any = v
	for i := len(parts) - 1; i >= 0; i-- {
		node = map[string]any{parts[i]: node}
	}
	doc, err := yaml.Marshal(node)
	if err != nil {
		return fmt.Errorf("set %s: %w", path, err)
	}
	next := *c
	next.LoRA.Targets = append([]string(nil), c.LoRA.Targets...)
	if c.Dataset.Mapping != nil {
		next.Dataset.Mapping = make(map[string]string, len(c.Dataset.Mapping))
		for k, v := range c.Dataset.Mapping {
			next.Dataset.Mapping[k] = v
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&next); err != nil {
		return fmt.Errorf("set %s=%s: %w", path, value, friendlyYAMLError(err, false))
	}
	*c = next
	return nil
}

// CommandLine renders the config as the `whetstone train` command that runs
// it: dedicated flags for the common fields and --set for every other field
// that differs from the defaults. It is the UI's "show as CLI" view, and
// parsing it back (ApplyArgs-style, as the train command does) yields the
// same config.
func (c Config) CommandLine() (string, error) {
	def, err := flatten(Default())
	if err != nil {
		return "", err
	}
	cur, err := flatten(c)
	if err != nil {
		return "", err
	}
	args := []string{"whetstone", "train"}
	dedicated := map[string]string{}
	for _, f := range Flags {
		dedicated[f.Field] = f.Flag
	}
	for _, f := range Flags {
		if v, ok := cur[f.Field]; ok && !reflect.DeepEqual(v, def[f.Field]) {
			args = append(args, "--"+f.Flag, shellQuote(scalarText(v)))
		}
	}
	keys := make([]string, 0, len(cur))
	for k := range cur {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := dedicated[k]; ok {
			continue
		}
		if reflect.DeepEqual(cur[k], def[k]) {
			continue
		}
		args = append(args, "--set", shellQuote(k+"="+scalarText(cur[k])))
	}
	// A field present in the defaults but emptied in c (an omitempty string
	// cleared by the user) must be rendered too, or it would come back.
	var cleared []string
	for k := range def {
		if _, ok := cur[k]; !ok {
			cleared = append(cleared, k)
		}
	}
	sort.Strings(cleared)
	for _, k := range cleared {
		if flag, ok := dedicated[k]; ok {
			args = append(args, "--"+flag, "''")
		} else {
			args = append(args, "--set", shellQuote(k+"="))
		}
	}
	return strings.Join(args, " "), nil
}

// flatten turns the config into dotted-path leaves (lists stay whole).
func flatten(c Config) (map[string]any, error) {
	doc, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode run config: %w", err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(doc, &tree); err != nil {
		return nil, fmt.Errorf("decode run config: %w", err)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, sub)
			}
			return
		}
		out[prefix] = v
	}
	walk("", tree)
	return out, nil
}

// scalarText writes a leaf the way Set parses it back.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		// Quote strings YAML would read as something else ("true", "8").
		var back any
		if err := yaml.Unmarshal([]byte(x), &back); err != nil || back != x {
			return strconv.Quote(x)
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalarText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// shellQuote quotes s for a POSIX shell when it holds anything beyond a
// conservative safe set.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:+@,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ApplyFlag applies one dedicated flag (by its name without dashes, as in
// Flags) or a "set" flag holding path=value.
func (c *Config) ApplyFlag(flag, value string) error {
	if flag == "set" {
		path, v, ok := strings.Cut(value, "=")
		if !ok {
			return fmt.Errorf("--set %q: want path=value", value)
		}
		return c.Set(strings.TrimSpace(path), v)
	}
	for _, f := range Flags {
		if f.Flag == flag {
			if err := c.Set(f.Field, value); err != nil {
				return fmt.Errorf("--%s: %w", flag, err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown flag --%s", flag)
}
