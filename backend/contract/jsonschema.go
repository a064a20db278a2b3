package contract

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Schemas describes Go types as JSON Schema (draft 2020-12, the dialect of
// OpenAPI 3.1), with the same reading of the types as the TypeScript
// contract: JSON names and optionality as encoding/json produces them, doc
// comments as descriptions, a named string type's constants as its enum,
// and the same names for the declared types. The REST API's OpenAPI
// document is built from it.
type Schemas struct {
	g *generator
	// RefPrefix is where the declared types live in the document
	// (default "#/components/schemas/").
	RefPrefix string
	// inputs are the declared types a request body reaches (see Input).
	inputs map[reflect.Type]bool
	// Field, when set, may add keywords (enum, bounds) to the schema of
	// the member name (its JSON name) of the struct type owner: what Go
	// keeps beside the type, such as a run config's choices and bounds.
	Field func(owner reflect.Type, name string, sch map[string]any)
}

// InputSuffix ends the names of the request variants of declared types.
const InputSuffix = "Input"

// NewSchemas reads the types of values (and every type they refer to);
// root is the folder of the module's go.mod, whose sources give the doc
// comments and enumerations.
func NewSchemas(root string, values ...any) (*Schemas, error) {
	mod, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	g := &generator{spec: Spec{Root: root}, module: mod, sources: map[string]*source{}, decls: map[reflect.Type]*decl{}}
	for _, v := range values {
		g.reach(reflect.TypeOf(v))
	}
	g.name()
	if err := errors.Join(g.errs...); err != nil {
		return nil, err
	}
	return &Schemas{g: g, RefPrefix: "#/components/schemas/", inputs: map[reflect.Type]bool{}}, nil
}

// Of is the schema of v's type: a reference to a declared type, or the
// type written out. A nil v has the empty schema (any value).
func (s *Schemas) Of(v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	return s.schema(reflect.TypeOf(v), false, false)
}

// Input is the schema of v's type as a request takes it, which is looser
// than what an answer holds, as encoding/json decodes: any field may be
// left out (it keeps its zero value). Declared structs get variants named
// with InputSuffix.
func (s *Schemas) Input(v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	return s.schema(reflect.TypeOf(v), false, true)
}

// Components are the declared types' schemas, by name.
func (s *Schemas) Components() (map[string]any, error) {
	out := map[string]any{}
	write := func(d *decl, input bool) {
		var sch map[string]any
		name := d.name
		doc := s.g.typeDoc(d.t)
		if d.values != nil {
			// "" is the type's zero value, which encoding/json writes for
			// an unset field (a damaged run's empty config) and a request
			// may send for the default: the enumeration lists it too.
			sch = map[string]any{"type": "string", "enum": append(append([]string(nil), d.values...), "")}
			doc = strings.TrimSpace(doc + "\n\nEmpty when unset.")
		} else {
			sch = s.object(d.t, input)
		}
		if input {
			name += InputSuffix
		}
		if doc != "" {
			sch["description"] = doc
		}
		out[name] = sch
	}
	for _, d := range s.g.decls {
		write(d, false)
	}
	// Writing an input variant may reach further declared types.
	for done := map[reflect.Type]bool{}; len(done) < len(s.inputs); {
		for t := range s.inputs {
			if !done[t] {
				done[t] = true
				write(s.g.decls[t], true)
			}
		}
	}
	if err := errors.Join(s.g.errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Names lists the declared types' names, sorted.
func (s *Schemas) Names() []string {
	var out []string
	for _, d := range s.g.decls {
		out = append(out, d.name)
	}
	sort.Strings(out)
	return out
}

func orNull(sch map[string]any, nullable bool) map[string]any {
	if !nullable {
		return sch
	}
	if t, ok := sch["type"].(string); ok {
		sch["type"] = []string{t, "null"}
		return sch
	}
	return map[string]any{"anyOf": []any{sch, map[string]any{"type": "null"}}}
}

// schema writes t; nullable says whether encoding/json may write null for
// it here, which only a pointer, a slice or a map can be. Unlike the
// TypeScript contract, a nil slice or map is null here: a validator holds
// every answer to the document.
func (s *Schemas) schema(t reflect.Type, nullable, input bool) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t == rawMessageType {
		return map[string]any{}
	}
	if d, ok := s.g.decls[t]; ok {
		if input && d.values == nil {
			s.inputs[t] = true
			return map[string]any{"$ref": s.RefPrefix + d.name + InputSuffix}
		}
		return map[string]any{"$ref": s.RefPrefix + d.name}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Pointer:
		return orNull(s.schema(t.Elem(), false, input), nullable)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return orNull(map[string]any{"type": "string", "contentEncoding": "base64"}, nullable)
		}
		return orNull(map[string]any{"type": "array", "items": s.schema(t.Elem(), true, input)}, nullable)
	case reflect.Array:
		return map[string]any{"type": "array", "items": s.schema(t.Elem(), true, input), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		sch := map[string]any{"type": "object", "additionalProperties": s.schema(t.Elem(), true, input)}
		if _, ok := s.g.decls[t.Key()]; ok {
			sch["propertyNames"] = s.schema(t.Key(), false, input)
		}
		return orNull(sch, nullable)
	case reflect.Struct:
		return s.object(t, input)
	}
	s.g.errs = append(s.g.errs, fmt.Errorf("contract: no JSON Schema for %v", t))
	return map[string]any{}
}

// object writes a struct's members; every one is optional in a request.
func (s *Schemas) object(t reflect.Type, input bool) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, f := range jsonFields(t) {
		var sch map[string]any
		optional := f.omitZero || f.viaPointer || (f.omitEmpty && canBeEmpty(f.typ))
		if f.quoted {
			sch = map[string]any{"type": "string"}
			optional = f.omitEmpty || f.omitZero || f.viaPointer
		} else {
			// A nil that omitempty or omitzero drops is never null.
			nullable := !(f.omitEmpty && canBeEmpty(f.typ)) && !f.omitZero
			sch = s.schema(f.typ, nullable, input)
		}
		if s.Field != nil {
			s.Field(t, f.name, sch)
		}
		if doc := s.g.FieldDoc(f.owner, f.goName); doc != "" {
			if _, isRef := sch["$ref"]; isRef {
				// Siblings of $ref are allowed in 2020-12, but some tools
				// drop them; allOf keeps the description visible.
				sch = map[string]any{"allOf": []any{sch}, "description": doc}
			} else {
				sch["description"] = doc
			}
		}
		props[f.name] = sch
		if !optional && !input {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}
