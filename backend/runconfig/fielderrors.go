package runconfig

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports an unknown key as "field X not found in type
// runconfig.Training": Go type names mean nothing to someone editing a
// YAML file. friendlyYAMLError rewrites those in the config's own terms
// (the section, and the closest known field when the key looks like a
// typo of one).
var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type runconfig\.(\w+)`)

// section is one YAML mapping of the config: its dotted path ("" for the
// top level) and its keys.
type section struct {
	path string
	keys []string
}

// sections maps each struct type of Config to its YAML section.
func sections() map[string]section {
	out := map[string]section{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		sec := section{path: path}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			sec.keys = append(sec.keys, name)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() {
				walk(ft, strings.TrimPrefix(path+"."+name, "."))
			}
		}
		sort.Strings(sec.keys)
		out[t.Name()] = sec
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

// friendlyYAMLError rewrites yaml.v3's unknown-field messages; other errors
// pass through. withLines keeps yaml's "line N:" prefixes (useful for a
// file, noise for a one-line --set).
func friendlyYAMLError(err error, withLines bool) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	secs := sections()
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		if !withLines {
			if _, rest, ok := strings.Cut(m, ": "); ok && strings.HasPrefix(m, "line ") {
				m = rest
			}
		}
		if sub := unknownFieldRE.FindStringSubmatch(m); sub != nil {
			path := strings.TrimPrefix(secs[sub[2]].path+"."+sub[1], ".")
			if why, ok := retired[path]; ok {
				msgs[i] = path + " is no longer a setting: " + why
				continue
			}
		}
		m = wrongTypeRE.ReplaceAllStringFunc(m, func(s string) string {
			sub := wrongTypeRE.FindStringSubmatch(s)
			switch sub[2] {
			case "float64":
				return fmt.Sprintf("%q is not a number", sub[1])
			case "bool":
				return fmt.Sprintf("%q is not true or false", sub[1])
			}
			return fmt.Sprintf("%q is not a whole number", sub[1])
		})
		msgs[i] = unknownFieldRE.ReplaceAllStringFunc(m, func(s string) string {
			sub := unknownFieldRE.FindStringSubmatch(s)
			key, sec := sub[1], secs[sub[2]]
			where := "at the top level"
			if sec.path != "" {
				where = "in " + sec.path
			}
			out := fmt.Sprintf("unknown field %q %s", key, where)
			if best := closestKey(key, sec.keys); best != "" {
				return out + fmt.Sprintf(" (did you mean %q?)", best)
			}
			return out + "; known fields: " + strings.Join(sec.keys, ", ")
		})
	}
	return errors.New(strings.Join(msgs, "; "))
}

// wrongTypeRE matches yaml.v3's "cannot unmarshal !!str `abc` into
// float64", which names Go types instead of saying what was expected.
var wrongTypeRE = regexp.MustCompile("cannot unmarshal !!\\w+ `([^`]*)` into (float64|int|int64|bool)")

// closestKey returns the known key nearest to key by edit distance, when
// it is near enough to be a typo.
func closestKey(key string, keys []string) string {
	best, bestD := "", len(key)/3+2
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
