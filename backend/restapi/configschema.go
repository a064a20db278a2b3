package restapi

import (
	"reflect"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// configConstraints adds runconfig.Schema's choices and bounds to the
// OpenAPI schemas of the run config's members, so a program reads in the
// document what Validate checks: training.method's methods,
// training.learning_rate's range. Go's types alone say "string" and
// "number".
func configConstraints() func(owner reflect.Type, name string, sch map[string]any) {
	fields := map[string]runconfig.Field{}
	for _, f := range runconfig.Schema() {
		fields[f.Path] = f
	}
	// The path prefix of each struct type of the config: "" for Config
	// itself, "training." for Training...
	prefix := map[reflect.Type]string{}
	var walk func(t reflect.Type, at string)
	walk = func(t reflect.Type, at string) {
		prefix[t] = at
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name != "" && name != "-" && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, at+name+".")
			}
		}
	}
	walk(reflect.TypeOf(runconfig.Config{}), "")
	return func(owner reflect.Type, name string, sch map[string]any) {
		at, ok := prefix[owner]
		if !ok {
			return
		}
		f, ok := fields[at+name]
		if !ok {
			return
		}
		target := sch
		if f.Kind == runconfig.KindList {
			items, ok := sch["items"].(map[string]any)
			if !ok {
				return
			}
			target = items
		}
		if len(f.Enum) > 0 {
			enum := append([]string(nil), f.Enum...)
			if f.Empty {
				enum = append(enum, "")
			}
			target["enum"] = enum
		}
		if f.Min != nil {
			key := "minimum"
			if f.MinExclusive {
				key = "exclusiveMinimum"
			}
			sch[key] = *f.Min
		}
		if f.Max != nil {
			key := "maximum"
			if f.MaxExclusive {
				key = "exclusiveMaximum"
			}
			sch[key] = *f.Max
		}
	}
}
