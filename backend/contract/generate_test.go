package contract

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/contract/internal/sample"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.ts")

func sampleSpec() Spec {
	pkg := reflect.TypeFor[sample.Color]().PkgPath()
	return Spec{
		Root:     "../..",
		Command:  "the contract tests",
		Services: map[string]any{"Sample": (*sample.Service)(nil)},
		Events:   map[string]any{"thing.changed": sample.Thing{}, "color": sample.Red},
		Values: []Value{
			{Name: "Colors", Pkg: pkg, Ident: "Colors", Value: sample.Colors},
			{Name: "Ids", Pkg: pkg, Ident: "Colors", Form: Union, Value: []string{"a"}},
			{Name: "Things", Pkg: pkg, Ident: "Thing", Form: Typed, Key: "Ids", Value: func(d Docs) any {
				return map[string]sample.Base{"a": {ID: d.FieldDoc(reflect.TypeFor[sample.Base](), "ID")}}
			}},
		},
	}
}

// The generator's output for the sample package is kept in testdata: a
// change to the generator shows there first (go test -update rewrites it).
func TestSampleContract(t *testing.T) {
	got, err := Generate(sampleSpec())
	require.NoError(t, err)
	again, err := Generate(sampleSpec())
	require.NoError(t, err)
	require.Equal(t, string(got), string(again), "the output must not depend on map order")
	if *update {
		require.NoError(t, os.WriteFile("testdata/sample.ts", got, 0o644))
	}
	want, err := os.ReadFile("testdata/sample.ts")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	for _, line := range []string{
		`export type Color = "red" | "blue" | "green";`, // in order, once each
		`export interface OtherThing {`,                 // two Things: both prefixed
		`export interface SampleThing {`,
		`export interface OtherRecord {`, // Record is TypeScript's
		`  id: string;`,                  // promoted from Base
		`  note?: string;`,               // through a nil-able pointer
		`  shadow: string;`,              // the shallower field wins
		`  opt?: string;`,
		`  ptr: number | null;`,
		`  opt_ptr?: number;`,
		`  bytes: string;`,
		`  pair: [number, number];`,
		`  list: (Base | null)[];`,
		`  map: Record<string, number>;`,
		`  color_map?: Partial<Record<Color, boolean>>;`,
		`  when: string;`,
		`  later?: string;`,
		`  any: unknown;`,
		`  count: string;`,
		`  struct: Base;`,
		`  zero?: Base;`,
		`  "-": string;`,
		`  NoTag: boolean;`,
		`  inline: { "A": number; };`,
		`  /** ID identifies the thing. */`,
		`  /** never omitted: a struct is not empty */`,
		`  "Sample.Colors": { args: [arg1: number, new_: boolean]; result: Color[] | null };`,
		`  "Sample.Get": { args: [id: string, in_: Input<SampleThing>]; result: SampleThing };`,
		`  "Sample.Ping": { args: []; result: void };`,
		`  "color": Color;`,
		`export const Colors = ["red", "blue", "green"] as const;`,
		`export const Things: { readonly [K in Ids]: Base } = {`,
		`    id: "ID identifies the thing.",`,
	} {
		require.Contains(t, string(got), line+"\n")
	}
	require.NotContains(t, string(got), "Skip")
	require.NotContains(t, string(got), "hidden")
}

// What the generated interface says is present is what encoding/json
// writes: every field when all are set, only the required ones at zero.
func TestFieldsAreWhatEncodingJSONWrites(t *testing.T) {
	g := &generator{decls: map[reflect.Type]*decl{}}
	one := 1
	now := time.Now()
	full := sample.Thing{Base: sample.Base{ID: "x", Shadow: 1}, Extra: &sample.Extra{Note: "n"}, Opt: "o", Ptr: &one, OptPtr: &one,
		ColorMap: map[sample.Color]bool{sample.Red: true}, Later: &now, Zero: sample.Base{ID: "z"}}
	var required, all []string
	for _, f := range jsonFields(reflect.TypeFor[sample.Thing]()) {
		all = append(all, f.name)
		if _, optional := g.fieldType(f); !optional {
			required = append(required, f.name)
		}
	}
	require.ElementsMatch(t, all, keys(t, full))
	require.ElementsMatch(t, required, keys(t, sample.Thing{}))
}

func keys(t *testing.T, v any) []string {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestValuesNeedADocComment(t *testing.T) {
	spec := sampleSpec()
	spec.Values = []Value{{Name: "X", Pkg: spec.Values[0].Pkg, Ident: "Nope", Value: 1}}
	_, err := Generate(spec)
	require.ErrorContains(t, err, "no doc comment")
}

func TestRefusesWhatJSONCannotCarry(t *testing.T) {
	spec := sampleSpec()
	spec.Events = map[string]any{"bad": struct{ C chan int }{}}
	_, err := Generate(spec)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "cannot be encoded as JSON"), err)
}
