package contract

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pb33f/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/contract/internal/sample"
)

// compile turns the schema of v (output or input) with the components
// into a validator, as an OpenAPI document holds them.
func compile(t *testing.T, input bool, v any) *jsonschema.Schema {
	t.Helper()
	s, err := NewSchemas("../..", v)
	require.NoError(t, err)
	s.RefPrefix = "#/$defs/"
	root := s.Of(v)
	if input {
		root = s.Input(v)
	}
	comps, err := s.Components()
	require.NoError(t, err)
	root["$defs"] = comps
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	data, err := json.Marshal(root)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)
	return sch
}

func instance(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return out
}

func validates(t *testing.T, sch *jsonschema.Schema, raw string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(raw)))
	require.NoError(t, err)
	return sch.Validate(v)
}

// What encoding/json writes validates against the schema, nil pointers,
// slices and maps included; what it cannot write does not.
func TestSchemaHoldsWhatEncodingJSONWrites(t *testing.T) {
	sch := compile(t, false, sample.Thing{})
	n := 3
	later := time.Now()
	for _, v := range []sample.Thing{
		{},
		{Base: sample.Base{ID: "x"}, Extra: &sample.Extra{Note: "n"}, Color: sample.Blue, Opt: "o", Ptr: &n, OptPtr: &n,
			Bytes: []byte("hi"), List: []*sample.Base{{ID: "a"}, nil}, Map: map[string]int{"a": 1},
			ColorMap: map[sample.Color]bool{sample.Red: true}, When: later, Later: &later, Any: []any{1, "x"}, Count: 7},
	} {
		require.NoError(t, sch.Validate(instance(t, v)), "%+v", v)
	}
	good, err := json.Marshal(sample.Thing{Color: sample.Red})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(good, &m))
	for field, wrong := range map[string]any{"color": "purple", "count": 7, "pair": []float64{1}, "ptr": "x"} {
		bad := map[string]any{}
		for k, v := range m {
			bad[k] = v
		}
		bad[field] = wrong
		data, _ := json.Marshal(bad)
		require.Error(t, validates(t, sch, string(data)), field)
	}
	delete(m, "id")
	data, _ := json.Marshal(m)
	require.Error(t, validates(t, sch, string(data)), "id is always written, so it is required")
}

// A request may leave any field out.
func TestInputSchemaIsWhatEncodingJSONReads(t *testing.T) {
	sch := compile(t, true, sample.Thing{})
	require.NoError(t, validates(t, sch, `{}`))
	require.Error(t, validates(t, compile(t, false, sample.Thing{}), `{}`), "an answer has every field encoding/json always writes")
	require.NoError(t, validates(t, sch, `{"color": "", "struct": {}}`))
	require.Error(t, validates(t, sch, `{"color": "purple"}`))
	require.Error(t, validates(t, sch, `{"ptr": "x"}`))
}
