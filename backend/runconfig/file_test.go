package runconfig

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// randomConfig fills every schema path with a random value of its type,
// zero values included (an empty string, 0, false, a nil list or map),
// valid or not: a stored config must come back as it was, whatever it
// holds.
func randomConfig(r *rand.Rand) Config {
	strs := []string{"", "x", "true", "8", "2e-4", "null", "~", "a: b", "- item", " padded ", "multi\nline", "tab\there",
		"quote\"d", "it's", "#hash", "ünïcödé ☃", "{x}", "[x]", "google/gemma-3-270m-it", "/models/gemma 3"}
	floats := []float64{0, -0.5, 1e-8, 2e-4, 0.999, 1, 3.5, 1e300, 5e-324}
	var c Config
	v := reflect.ValueOf(&c).Elem()
	for _, f := range fields() {
		fv := v.FieldByIndex(f.index)
		switch f.Kind {
		case KindInt:
			if r.IntN(3) == 0 {
				fv.SetInt(0)
			} else {
				fv.SetInt(r.Int64N(1<<40) - 1<<39)
			}
		case KindFloat:
			fv.SetFloat(floats[r.IntN(len(floats))])
		case KindBool:
			fv.SetBool(r.IntN(2) == 0)
		case KindString:
			fv.SetString(strs[r.IntN(len(strs))])
		case KindEnum:
			choices := append([]string{"", "not-a-choice"}, f.Enum...)
			fv.SetString(choices[r.IntN(len(choices))])
		case KindList:
			var l []string
			for range r.IntN(4) {
				l = append(l, append(strs, f.Enum...)[r.IntN(len(strs)+len(f.Enum))])
			}
			fv.Set(reflect.ValueOf(l))
		case KindMap:
			var m map[string]string
			for range r.IntN(4) {
				if m == nil {
					m = map[string]string{}
				}
				m[strs[r.IntN(len(strs))]+"k"] = strs[r.IntN(len(strs))]
			}
			fv.Set(reflect.ValueOf(m))
		default:
			panic(f.Path)
		}
	}
	return c
}

// Save then Load gives back exactly the config saved, in both formats:
// the zero config (every field at its zero value, which Parse must not
// replace with a default), the defaults, and random configs.
func TestSaveLoadRoundTripsEveryConfig(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	cases := []Config{{}, Default()}
	for range 200 {
		cases = append(cases, randomConfig(r))
	}
	for i, c := range cases {
		for _, name := range []string{"run.yaml", "run.json"} {
			p := filepath.Join(dir, name)
			require.NoError(t, c.Save(p))
			back, err := Load(p)
			require.NoError(t, err, "case %d %s", i, name)
			require.Equal(t, c.canonical(), back, "case %d %s", i, name)
		}
	}
}

// Configs written before model.family was removed still load (their runs
// are listed and resumed), the key dropped; --set refuses it with why.
func TestRetiredFamilyKeyIsDropped(t *testing.T) {
	want := Default()
	want.Model.Source, want.Dataset.Path = "./m", "d.jsonl"
	for _, doc := range []string{
		"model:\n  source: ./m\n  family: gemma3\ndataset:\n  path: d.jsonl\n",
		"model:\n  family: \"\"\n  source: ./m\ndataset:\n  path: d.jsonl\n",
		`{"model": {"source": "./m", "family": "qwen3"}, "dataset": {"path": "d.jsonl"}}`,
	} {
		c, err := Parse([]byte(doc))
		require.NoError(t, err, doc)
		require.Equal(t, want, c, doc)
	}
	// Another unknown key next to it is still reported, in both formats.
	_, err := Parse([]byte("model:\n  family: gemma3\n  sorce: ./m\n"))
	require.ErrorContains(t, err, `"sorce" in model (did you mean "source"?)`)
	_, err = Parse([]byte(`{"model": {"family": "gemma3", "sorce": "./m"}}`))
	require.ErrorContains(t, err, `unknown field "sorce"`)

	c := Default()
	err = c.Set("model.family", "gemma3")
	require.ErrorContains(t, err, "model.family is no longer a setting")
	require.ErrorContains(t, err, "--preset")
	for _, f := range Schema() {
		require.NotContains(t, retired, f.Path)
	}
}

// The documented mapping example is valid; a bad key or value is a field
// error on dataset.mapping.<key>, which names the keys there are.
func TestValidateMappingKeys(t *testing.T) {
	c := valid()
	c.Dataset.Mapping = map[string]string{"conversations": "dialog", "from": "role"}
	require.Empty(t, c.Validate())
	c.Dataset.Mapping = map[string]string{"conversation_column": "dialog", "roles.bot": "assistant", "format": "chatml", "value": "text"}
	require.Empty(t, c.Validate())

	c.Dataset.Mapping = map[string]string{"conversations": "dialog", "turns": "x", "roles.bot": "robot", "format": "csv", "from": " ",
		"role_key": "speaker", "role": "who"}
	got := map[string]string{}
	for _, e := range c.Validate() {
		got[e.Field] = e.Message
	}
	require.ElementsMatch(t, []string{"dataset.mapping.turns", "dataset.mapping.roles.bot", "dataset.mapping.format",
		"dataset.mapping.from", "dataset.mapping.role_key"}, keys(got))
	require.Contains(t, got["dataset.mapping.turns"], "unknown key; use conversations, messages, from, role, value, content")
	require.Contains(t, got["dataset.mapping.turns"], "roles.<name>")
	require.Contains(t, got["dataset.mapping.roles.bot"], `"robot" is not user, assistant or system`)
	require.Contains(t, got["dataset.mapping.format"], "not a format")
	require.Contains(t, got["dataset.mapping.from"], "is empty")
	require.Contains(t, got["dataset.mapping.role_key"], `names what "role" names`)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// The data options the executor once hard-coded are config fields, with
// the old behaviour as their defaults and the dataset package's own
// truncation names.
func TestDataOptions(t *testing.T) {
	d := Default().Dataset
	require.True(t, d.SkipBadRows)
	require.Equal(t, 1000, d.MaxBadRows)
	require.Equal(t, dataset.TruncateRight, d.Truncation)
	byPath := map[string]Field{}
	for _, f := range Schema() {
		byPath[f.Path] = f
	}
	tr := byPath["dataset.truncation"]
	require.Equal(t, KindEnum, tr.Kind)
	require.False(t, tr.Empty)
	require.Len(t, tr.Enum, len(dataset.Truncations))
	for i, name := range tr.Enum {
		require.Equal(t, string(dataset.Truncations[i]), name)
	}
	require.Equal(t, 0.0, *byPath["dataset.max_bad_rows"].Min)

	// Files written before these fields existed get the old behaviour.
	c, err := Parse([]byte("dataset:\n  path: d.jsonl\n"))
	require.NoError(t, err)
	require.Equal(t, Default().Dataset.SkipBadRows, c.Dataset.SkipBadRows)
	require.Equal(t, Default().Dataset.Truncation, c.Dataset.Truncation)
	c, err = Parse([]byte("dataset:\n  skip_bad_rows: false\n  max_bad_rows: 0\n  truncation: drop\n"))
	require.NoError(t, err)
	require.False(t, c.Dataset.SkipBadRows)
	require.Zero(t, c.Dataset.MaxBadRows)
	require.Equal(t, dataset.DropLong, c.Dataset.Truncation)
	c = valid()
	c.Dataset.Truncation = ""
	require.True(t, strings.Contains(strings.Join(fieldsOf(c.Validate()), " "), "dataset.truncation"))
}
