package contract

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// source is what the Go source of one package says that reflection cannot:
// doc comments, parameter names and the values of typed constants.
type source struct {
	name   string
	types  map[string]*typeSource
	funcs  map[string]*funcSource // "Recv.Method" or "Func"
	values map[string]string      // doc of a var or const by name
	consts map[string][]string    // string constants by type name, in order
}

type typeSource struct {
	doc    string
	fields map[string]string // doc by Go field name
}

type funcSource struct {
	doc    string
	params []string
}

// modulePath reads the module line of root/go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no module line", root)
}

// readSource parses the non-test Go files of dir that this platform's
// build would compile.
func readSource(dir string) (*source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, n); err != nil || !ok {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	src := &source{types: map[string]*typeSource{}, funcs: map[string]*funcSource{},
		values: map[string]string{}, consts: map[string][]string{}}
	fset := token.NewFileSet()
	constVals := map[string]string{}
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		src.name = f.Name.Name
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				src.addFunc(d)
			case *ast.GenDecl:
				if err := src.addGen(d, constVals); err != nil {
					return nil, fmt.Errorf("%s: %w", fset.Position(d.Pos()), err)
				}
			}
		}
	}
	return src, nil
}

func (s *source) addFunc(d *ast.FuncDecl) {
	key := d.Name.Name
	if d.Recv != nil && len(d.Recv.List) == 1 {
		t := d.Recv.List[0].Type
		if st, ok := t.(*ast.StarExpr); ok {
			t = st.X
		}
		if id, ok := t.(*ast.Ident); ok {
			key = id.Name + "." + key
		}
	}
	fs := &funcSource{doc: text(d.Doc)}
	for _, p := range d.Type.Params.List {
		if len(p.Names) == 0 {
			fs.params = append(fs.params, "")
		}
		for _, n := range p.Names {
			fs.params = append(fs.params, n.Name)
		}
	}
	s.funcs[key] = fs
}

func (s *source) addGen(d *ast.GenDecl, constVals map[string]string) error {
	var lastType string
	for _, spec := range d.Specs {
		switch sp := spec.(type) {
		case *ast.TypeSpec:
			doc := text(sp.Doc)
			if doc == "" && len(d.Specs) == 1 {
				doc = text(d.Doc)
			}
			ts := &typeSource{doc: doc, fields: map[string]string{}}
			if st, ok := sp.Type.(*ast.StructType); ok {
				for _, f := range st.Fields.List {
					fdoc := text(f.Doc)
					if fdoc == "" {
						fdoc = text(f.Comment)
					}
					for _, n := range fieldNames(f) {
						ts.fields[n] = fdoc
					}
				}
			}
			s.types[sp.Name.Name] = ts
		case *ast.ValueSpec:
			doc := text(sp.Doc)
			if doc == "" {
				doc = text(sp.Comment)
			}
			if doc == "" && len(d.Specs) == 1 {
				doc = text(d.Doc)
			}
			for _, n := range sp.Names {
				s.values[n.Name] = doc
			}
			if d.Tok != token.CONST {
				continue
			}
			typ := ""
			if id, ok := sp.Type.(*ast.Ident); ok {
				typ = id.Name
			}
			if sp.Type == nil && len(sp.Values) == 0 {
				typ = lastType // an implicit repetition: the same value again
			}
			lastType = typ
			for i, n := range sp.Names {
				if i >= len(sp.Values) {
					continue
				}
				v, conv, ok := constString(sp.Values[i], constVals)
				if !ok {
					continue
				}
				constVals[n.Name] = v
				t := typ
				if t == "" {
					t = conv
				}
				if t != "" && n.Name != "_" {
					s.consts[t] = append(s.consts[t], v)
				}
			}
		}
	}
	return nil
}

// constString evaluates a string constant written as a literal, a
// conversion T("lit"), or the name of an earlier constant. conv is T for
// a conversion.
func constString(e ast.Expr, known map[string]string) (v, conv string, ok bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, "", err == nil
	case *ast.Ident:
		v, ok := known[x.Name]
		return v, "", ok
	case *ast.ParenExpr:
		return constString(x.X, known)
	case *ast.CallExpr:
		id, isIdent := x.Fun.(*ast.Ident)
		if !isIdent || len(x.Args) != 1 {
			return "", "", false
		}
		v, _, ok := constString(x.Args[0], known)
		return v, id.Name, ok
	}
	return "", "", false
}

// fieldNames are the Go names of a struct field declaration: its names, or
// the type name of an embedded field.
func fieldNames(f *ast.Field) []string {
	if len(f.Names) > 0 {
		out := make([]string, len(f.Names))
		for i, n := range f.Names {
			out[i] = n.Name
		}
		return out
	}
	t := f.Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	switch x := t.(type) {
	case *ast.Ident:
		return []string{x.Name}
	case *ast.SelectorExpr:
		return []string{x.Sel.Name}
	}
	return nil
}

// text is a comment group's text without markers or trailing space.
func text(cg *ast.CommentGroup) string {
	return strings.TrimSpace(cg.Text())
}
