// Package contract writes the UI's view of the Go services as one
// TypeScript file: an interface per Go struct the bound methods and events
// exchange (JSON names and optionality as encoding/json produces them, doc
// comments as TSDoc), a table of the methods with their arguments and
// results, a table of the events, and the enumerations, defaults and
// schemas the UI must not keep its own copies of.
//
// Types and method signatures come from reflection, so the file describes
// exactly what the binary binds; doc comments, parameter names and the
// values of named string types come from the package sources (go/parser),
// which reflection cannot see. tools/contractgen writes the file; a test in
// backend/service fails when the committed file is out of date.
package contract

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Spec is what Generate describes.
type Spec struct {
	// Services maps a service name to its value, a pointer to a struct (a
	// nil one will do): the exported methods of each are callable as
	// "Name.Method", with results (T), (error) or (T, error).
	Services map[string]any
	// Events maps each event topic to a value of its payload type.
	Events map[string]any
	// Values are data written as constants: enumerations, defaults, schemas.
	Values []Value
	// Root is the folder of the module's go.mod. The sources of the
	// module's packages are read from there; types from other modules get
	// no doc comments.
	Root string
	// Command is what regenerates the file, for its header.
	Command string
}

// Form is how a Value is written.
type Form int

const (
	// AsConst writes `export const Name = <value> as const;`.
	AsConst Form = iota
	// Typed writes `export const Name: <the value's Go type> = <value>;`.
	Typed
	// Union writes a []string as `export type Name = 'a' | 'b';`.
	Union
)

// Value is one constant of the contract.
type Value struct {
	// Name is the TypeScript name.
	Name string
	// Pkg (an import path) and Ident name the Go declaration whose doc
	// comment documents the value.
	Pkg, Ident string
	Form       Form
	// Value is the data, marshalled with encoding/json; a func(Docs) any is
	// called first, for data that needs doc comments (help texts).
	Value any
	// Key is the TypeScript type of a Typed map's keys (default string).
	Key string
}

// Docs looks up doc comments for Values that carry them as data.
type Docs interface {
	// FieldDoc is the doc comment of struct t's field named goName.
	FieldDoc(t reflect.Type, goName string) string
}

// reserved are names the file uses or TypeScript predefines: a Go type of
// such a name is prefixed with its package's name (runs.Record is
// RunsRecord, not a shadow of TypeScript's Record).
var reserved = map[string]bool{
	"Record": true, "Partial": true, "Required": true, "Readonly": true, "Pick": true, "Omit": true,
	"Exclude": true, "Extract": true, "NonNullable": true, "Parameters": true, "ReturnType": true,
	"Array": true, "ReadonlyArray": true, "Object": true, "String": true, "Number": true, "Boolean": true,
	"Symbol": true, "Promise": true, "Function": true, "Error": true, "Date": true, "Map": true, "Set": true,
	"JSON": true, "Math": true, "Input": true, "ServiceMethods": true, "EventPayloads": true,
}

var (
	timeType = reflect.TypeFor[time.Time]()
	// rawMessageType is any JSON value, passed through as is.
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	errorType         = reflect.TypeFor[error]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// decl is a Go type the file declares by name.
type decl struct {
	t      reflect.Type
	name   string
	values []string // a named string type's constants; nil for a struct
}

type generator struct {
	spec    Spec
	module  string
	sources map[string]*source // by import path; nil where there is none
	decls   map[reflect.Type]*decl
	errs    []error
}

// Generate writes the contract Spec describes. The output depends only on
// the Go types and sources: names, methods and topics come out sorted.
func Generate(spec Spec) ([]byte, error) {
	mod, err := modulePath(spec.Root)
	if err != nil {
		return nil, err
	}
	g := &generator{spec: spec, module: mod, sources: map[string]*source{}, decls: map[reflect.Type]*decl{}}
	for _, svc := range spec.Services {
		t := reflect.TypeOf(svc)
		if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("contract: a service must be a pointer to a struct, got %v", t)
		}
		for _, m := range methods(t) {
			for _, a := range m.in {
				g.reach(a)
			}
			if m.out != nil {
				g.reach(m.out)
			}
		}
	}
	for _, p := range spec.Events {
		g.reach(reflect.TypeOf(p))
	}
	values := make([]any, len(spec.Values))
	for i, v := range spec.Values {
		values[i] = v.Value
		if f, ok := v.Value.(func(Docs) any); ok {
			values[i] = f(g)
		}
		if v.Form == Typed {
			g.reach(reflect.TypeOf(values[i]))
		}
	}
	g.name()
	if err := errors.Join(g.errs...); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	g.header(&b)
	g.writeDecls(&b)
	g.writeMethods(&b)
	g.writeEvents(&b)
	for i, v := range spec.Values {
		if err := g.writeValue(&b, v, values[i]); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(g.errs...); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// method is one callable method of a service.
type method struct {
	name string
	in   []reflect.Type
	out  reflect.Type // nil for none (or only an error)
}

// methods lists t's exported methods as httpapi's dispatcher calls them.
func methods(t reflect.Type) []method {
	var out []method
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		mt := m.Type
		md := method{name: m.Name}
		for j := 1; j < mt.NumIn(); j++ {
			md.in = append(md.in, mt.In(j))
		}
		n := mt.NumOut()
		if n > 0 && mt.Out(n-1) == errorType {
			n--
		}
		if n == 1 {
			md.out = mt.Out(0)
		}
		out = append(out, md)
	}
	return out
}

// source returns the parsed package at import path pkg, or nil when it is
// outside the module.
func (g *generator) source(pkg string) *source {
	if src, ok := g.sources[pkg]; ok {
		return src
	}
	var src *source
	if rel, ok := strings.CutPrefix(pkg, g.module); ok && (rel == "" || rel[0] == '/') {
		var err error
		if src, err = readSource(filepath.Join(g.spec.Root, filepath.FromSlash(rel))); err != nil {
			g.errs = append(g.errs, fmt.Errorf("contract: read the source of %s: %w", pkg, err))
		}
	}
	g.sources[pkg] = src
	return src
}

// reach records every named type t refers to that the file declares.
func (g *generator) reach(t reflect.Type) {
	if t == nil || t == timeType || t == rawMessageType {
		return
	}
	if _, ok := g.decls[t]; ok {
		return
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
		(t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType) ||
			t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		g.errs = append(g.errs, fmt.Errorf("contract: %v has its own JSON or text encoding, which the generator cannot see: describe it in backend/contract", t))
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		g.reach(t.Elem())
	case reflect.Map:
		g.reach(t.Key())
		g.reach(t.Elem())
	case reflect.Struct:
		if t.Name() != "" {
			g.decls[t] = &decl{t: t}
		}
		for _, f := range jsonFields(t) {
			g.reach(f.typ)
		}
	case reflect.String:
		if t.PkgPath() == "" {
			return
		}
		if src := g.source(t.PkgPath()); src != nil && len(src.consts[t.Name()]) > 0 {
			g.decls[t] = &decl{t: t, values: dedupe(src.consts[t.Name()])}
		}
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		g.errs = append(g.errs, fmt.Errorf("contract: %v cannot be encoded as JSON", t))
	}
}

func dedupe(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// name gives each declared type its TypeScript name: the Go name, or the
// package name and the Go name where two packages share a name or the Go
// name is reserved.
func (g *generator) name() {
	byName := map[string][]*decl{}
	for _, d := range g.decls {
		byName[goName(d.t)] = append(byName[goName(d.t)], d)
	}
	taken := map[string]reflect.Type{}
	for n, ds := range byName {
		for _, d := range ds {
			d.name = n
			if len(ds) > 1 || reserved[n] {
				d.name = exported(g.pkgName(d.t.PkgPath())) + n
			}
			if other, ok := taken[d.name]; ok {
				g.errs = append(g.errs, fmt.Errorf("contract: %v and %v would both be named %s", other, d.t, d.name))
			}
			taken[d.name] = d.t
		}
	}
	for _, v := range g.spec.Values {
		if t, ok := taken[v.Name]; ok {
			g.errs = append(g.errs, fmt.Errorf("contract: the value %s has the name of the type %v", v.Name, t))
		}
	}
}

func (g *generator) pkgName(pkg string) string {
	if src := g.source(pkg); src != nil && src.name != "" {
		return src.name
	}
	return path.Base(pkg)
}

// goName is t's name without type arguments' punctuation.
func goName(t reflect.Type) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			return r
		}
		return -1
	}, t.Name())
}

func exported(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ts writes t as a TypeScript type. nullable says whether encoding/json may
// write null for it here (a nil pointer).
func (g *generator) ts(t reflect.Type, nullable bool) string {
	orNull := func(s string) string {
		if nullable {
			return s + " | null"
		}
		return s
	}
	if t == timeType {
		return "string"
	}
	if t == rawMessageType {
		return "unknown"
	}
	if d, ok := g.decls[t]; ok {
		return d.name
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Interface:
		return "unknown"
	case reflect.Pointer:
		return orNull(g.ts(t.Elem(), true))
	case reflect.Slice:
		// encoding/json writes a nil slice or map as null. The services
		// hand out empty ones where the UI reads them (Runs.List,
		// Settings.Get...), so the contract leaves null out: only
		// pointers, nil by design, are typed "| null".
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // base64
		}
		return array(g.ts(t.Elem(), true))
	case reflect.Array:
		if t.Len() > 0 && t.Len() <= 16 {
			elems := make([]string, t.Len())
			for i := range elems {
				elems[i] = g.ts(t.Elem(), true)
			}
			return "[" + strings.Join(elems, ", ") + "]"
		}
		return array(g.ts(t.Elem(), true))
	case reflect.Map:
		if d, ok := g.decls[t.Key()]; ok {
			return "Partial<Record<" + d.name + ", " + g.ts(t.Elem(), true) + ">>"
		}
		return "Record<string, " + g.ts(t.Elem(), true) + ">"
	case reflect.Struct:
		var b strings.Builder
		b.WriteString("{ ")
		for _, f := range jsonFields(t) {
			b.WriteString(strconv.Quote(f.name))
			typ, optional := g.fieldType(f)
			if optional {
				b.WriteString("?")
			}
			b.WriteString(": " + typ + "; ")
		}
		b.WriteString("}")
		return b.String()
	}
	g.errs = append(g.errs, fmt.Errorf("contract: no TypeScript type for %v", t))
	return "unknown"
}

func array(elem string) string {
	depth := 0
	for _, r := range elem {
		switch r {
		case '(', '[', '{', '<':
			depth++
		case ')', ']', '}', '>':
			depth--
		case '|':
			if depth == 0 {
				return "(" + elem + ")[]"
			}
		}
	}
	return elem + "[]"
}

// fieldType is a field's TypeScript type and whether it may be absent.
func (g *generator) fieldType(f jsonField) (string, bool) {
	t := f.typ
	if f.quoted {
		return "string", f.omitEmpty || f.omitZero || f.viaPointer
	}
	optional := f.omitZero || f.viaPointer || (f.omitEmpty && canBeEmpty(t))
	// A nil pointer that omitempty or omitzero drops is never null.
	nullable := !(f.omitEmpty && canBeEmpty(t)) && !f.omitZero
	return g.ts(t, nullable), optional
}

// canBeEmpty reports whether omitempty can drop a value of t.
func canBeEmpty(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return false
	case reflect.Array:
		return t.Len() == 0
	}
	return true
}

// FieldDoc implements Docs.
func (g *generator) FieldDoc(t reflect.Type, goName string) string {
	if src := g.source(t.PkgPath()); src != nil {
		if ts := src.types[t.Name()]; ts != nil {
			return ts.fields[goName]
		}
	}
	return ""
}

func (g *generator) typeDoc(t reflect.Type) string {
	if src := g.source(t.PkgPath()); src != nil {
		if ts := src.types[t.Name()]; ts != nil {
			return ts.doc
		}
	}
	return ""
}

func (g *generator) header(b *bytes.Buffer) {
	fmt.Fprintf(b, "// Code generated by %s; DO NOT EDIT.\n", g.spec.Command)
	b.WriteString(`//
// The contract between the Go services and the UI: the types they exchange,
// their methods and events, and the enumerations, defaults and schemas the UI
// reads instead of keeping copies. Regenerate with go generate ./backend/service
// after changing any of them; a Go test fails while this file is out of date.

/**
 * What a Go method accepts for T: encoding/json leaves a missing field at its
 * zero value, so any field, at any depth, may be left out.
 */
export type Input<T> = T extends readonly (infer E)[]
  ? readonly Input<E>[]
  : T extends object
    ? { [K in keyof T]?: Input<T[K]> }
    : T;
`)
}

func (g *generator) writeDecls(b *bytes.Buffer) {
	ds := make([]*decl, 0, len(g.decls))
	for _, d := range g.decls {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].name < ds[j].name })
	for _, d := range ds {
		b.WriteString("\n")
		writeDoc(b, "", g.typeDoc(d.t), fmt.Sprintf("Go: %s.%s", g.pkgName(d.t.PkgPath()), d.t.Name()))
		if d.values != nil {
			quoted := make([]string, len(d.values))
			for i, v := range d.values {
				quoted[i] = strconv.Quote(v)
			}
			fmt.Fprintf(b, "export type %s = %s;\n", d.name, strings.Join(quoted, " | "))
			continue
		}
		fmt.Fprintf(b, "export interface %s {\n", d.name)
		for _, f := range jsonFields(d.t) {
			writeDoc(b, "  ", g.FieldDoc(f.owner, f.goName), "")
			typ, optional := g.fieldType(f)
			q := ""
			if optional {
				q = "?"
			}
			fmt.Fprintf(b, "  %s%s: %s;\n", propName(f.name), q, typ)
		}
		b.WriteString("}\n")
	}
}

func (g *generator) writeMethods(b *bytes.Buffer) {
	type entry struct {
		key, doc, args, result string
	}
	var entries []entry
	for svcName, svc := range g.spec.Services {
		t := reflect.TypeOf(svc)
		src := g.source(t.Elem().PkgPath())
		for _, m := range methods(t) {
			var fs *funcSource
			if src != nil {
				fs = src.funcs[t.Elem().Name()+"."+m.name]
			}
			args := make([]string, len(m.in))
			for i, a := range m.in {
				label := ""
				if fs != nil && i < len(fs.params) {
					label = fs.params[i]
				}
				switch {
				case label == "" || label == "_":
					label = "arg" + strconv.Itoa(i+1)
				case tsKeywords[label]:
					label += "_"
				}
				typ := g.ts(a, true)
				switch a.Kind() {
				case reflect.Struct, reflect.Slice, reflect.Map, reflect.Array, reflect.Pointer:
					if a != timeType {
						typ = "Input<" + typ + ">"
					}
				}
				args[i] = label + ": " + typ
			}
			result := "void"
			if m.out != nil {
				result = g.ts(m.out, true)
			}
			doc := ""
			if fs != nil {
				doc = fs.doc
			}
			entries = append(entries, entry{svcName + "." + m.name, doc, strings.Join(args, ", "), result})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	b.WriteString("\n")
	writeDoc(b, "", "The bound methods by \"Service.Method\": the positional arguments and the result, as window.go.service.<Service>.<Method> (the desktop window) and POST /api/call/<Service>/<Method> (whetstone serve) take and return them. A method whose Go result is only an error has result void; its error rejects the call.", "")
	b.WriteString("export interface ServiceMethods {\n")
	for _, e := range entries {
		writeDoc(b, "  ", e.doc, "")
		fmt.Fprintf(b, "  %s: { args: [%s]; result: %s };\n", strconv.Quote(e.key), e.args, e.result)
	}
	b.WriteString("}\n")
}

func (g *generator) writeEvents(b *bytes.Buffer) {
	topics := make([]string, 0, len(g.spec.Events))
	for t := range g.spec.Events {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	b.WriteString("\n")
	writeDoc(b, "", "The events the services publish: the payload of each topic.", "")
	b.WriteString("export interface EventPayloads {\n")
	for _, t := range topics {
		fmt.Fprintf(b, "  %s: %s;\n", strconv.Quote(t), g.ts(reflect.TypeOf(g.spec.Events[t]), true))
	}
	b.WriteString("}\n")
}

func (g *generator) writeValue(b *bytes.Buffer, v Value, data any) error {
	doc := ""
	if src := g.source(v.Pkg); src != nil {
		doc = src.values[v.Ident]
		if doc == "" {
			if f := src.funcs[v.Ident]; f != nil {
				doc = f.doc
			} else if t := src.types[v.Ident]; t != nil {
				doc = t.doc
			}
		}
	}
	if doc == "" {
		return fmt.Errorf("contract: %s: %s.%s has no doc comment to describe it", v.Name, v.Pkg, v.Ident)
	}
	b.WriteString("\n")
	writeDoc(b, "", doc, fmt.Sprintf("Go: %s.%s", g.pkgName(v.Pkg), v.Ident))
	if v.Form == Union {
		vals, ok := data.([]string)
		if !ok || len(vals) == 0 {
			return fmt.Errorf("contract: %s: a union needs a non-empty []string, got %T", v.Name, data)
		}
		quoted := make([]string, len(vals))
		for i, s := range vals {
			quoted[i] = strconv.Quote(s)
		}
		fmt.Fprintf(b, "export type %s =\n  | %s;\n", v.Name, strings.Join(quoted, "\n  | "))
		return nil
	}
	js, err := literal(data)
	if err != nil {
		return fmt.Errorf("contract: %s: %w", v.Name, err)
	}
	if v.Form == AsConst {
		fmt.Fprintf(b, "export const %s = %s as const;\n", v.Name, js)
		return nil
	}
	typ := g.ts(reflect.TypeOf(data), false)
	if v.Key != "" && reflect.TypeOf(data).Kind() == reflect.Map {
		typ = "{ readonly [K in " + v.Key + "]: " + g.ts(reflect.TypeOf(data).Elem(), true) + " }"
	}
	fmt.Fprintf(b, "export const %s: %s = %s;\n", v.Name, typ, js)
	return nil
}

// writeDoc writes a TSDoc comment, or nothing for empty text.
func writeDoc(b *bytes.Buffer, indent, text, note string) {
	text = strings.ReplaceAll(text, "*/", "*\\/")
	if note != "" {
		if text != "" {
			text += "\n\n"
		}
		text += note
	}
	if text == "" {
		return
	}
	lines := strings.Split(text, "\n")
	if len(lines) == 1 {
		fmt.Fprintf(b, "%s/** %s */\n", indent, lines[0])
		return
	}
	fmt.Fprintf(b, "%s/**\n", indent)
	for _, l := range lines {
		if l == "" {
			fmt.Fprintf(b, "%s *\n", indent)
			continue
		}
		fmt.Fprintf(b, "%s * %s\n", indent, l)
	}
	fmt.Fprintf(b, "%s */\n", indent)
}

// propName is a property name, quoted unless it is an identifier.
func propName(s string) string {
	for i, r := range s {
		if !(r == '_' || r == '$' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// tsKeywords cannot label a tuple element.
var tsKeywords = map[string]bool{
	"break": true, "case": true, "catch": true, "class": true, "const": true, "continue": true,
	"debugger": true, "default": true, "delete": true, "do": true, "else": true, "enum": true,
	"export": true, "extends": true, "false": true, "finally": true, "for": true, "function": true,
	"if": true, "import": true, "in": true, "instanceof": true, "new": true, "null": true,
	"return": true, "super": true, "switch": true, "this": true, "throw": true, "true": true,
	"try": true, "typeof": true, "var": true, "void": true, "while": true, "with": true,
}
