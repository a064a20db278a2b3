package chattemplate

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strings"
)

// TemplateError is raised by the template itself through raise_exception;
// its message is the template's, verbatim, as transformers reports it.
type TemplateError struct{ Message string }

func (e *TemplateError) Error() string { return e.Message }

// renderPanic carries evaluation errors up the interpreter; Render turns it
// back into an error, so no panic crosses the package API.
type renderPanic struct{ err error }

func failf(format string, args ...any) {
	panic(renderPanic{fmt.Errorf(format, args...)})
}

var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

type scope struct {
	vars   map[string]any
	parent *scope
}

func (s *scope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) child() *scope { return &scope{vars: map[string]any{}, parent: s} }

type renderer struct {
	out     strings.Builder
	globals map[string]any
}

// Render evaluates the template with vars (converted with FromGo).
// Errors raised by the template are *TemplateError.
func (t *Template) Render(vars map[string]any) (out string, err error) {
	r := &renderer{globals: builtinGlobals()}
	root := &scope{vars: map[string]any{}}
	for k, v := range vars {
		root.vars[k] = FromGo(v)
	}
	defer func() {
		if rec := recover(); rec != nil {
			switch x := rec.(type) {
			case renderPanic:
				err = x.err
			case *TemplateError:
				err = x
			default:
				err = fmt.Errorf("chat template: internal error: %v", rec)
			}
			out = ""
		}
	}()
	if e := r.exec(t.body, root); e != nil {
		return "", fmt.Errorf("chat template: %v outside a loop", e)
	}
	return r.out.String(), nil
}

// exec runs statements; it returns errBreak/errContinue for loop control.
func (r *renderer) exec(body []node, sc *scope) error {
	for _, n := range body {
		switch x := n.(type) {
		case *textNode:
			r.out.WriteString(x.text)
		case *outputNode:
			r.out.WriteString(pyStr(r.eval(x.e, sc)))
		case *ifNode:
			done := false
			for i, c := range x.conds {
				if truthy(r.eval(c, sc)) {
					if err := r.exec(x.bodies[i], sc); err != nil {
						return err
					}
					done = true
					break
				}
			}
			if !done && x.orElse != nil {
				if err := r.exec(x.orElse, sc); err != nil {
					return err
				}
			}
		case *forNode:
			r.execFor(x, sc)
		case *setNode:
			var v any
			if x.body != nil {
				saved := r.out
				r.out = strings.Builder{}
				if err := r.exec(x.body, sc); err != nil {
					return err
				}
				v = r.out.String()
				r.out = saved
			} else {
				v = r.eval(x.value, sc)
			}
			r.assign(x, v, sc)
		case *macroNode:
			sc.vars[x.name] = r.makeMacro(x, sc)
		case *breakNode:
			return errBreak
		case *continueNode:
			return errContinue
		}
	}
	return nil
}

func (r *renderer) assign(x *setNode, v any, sc *scope) {
	if x.nsObj != "" {
		obj, _ := sc.lookup(x.nsObj)
		ns, ok := obj.(*Namespace)
		if !ok {
			failf("cannot assign attribute %q on %s (only namespace objects allow it)", x.nsAttr, typeName(obj))
		}
		ns.vals.Set(x.nsAttr, v)
		return
	}
	unpack(sc, x.targets, v, "names")
}

// unpack binds v to targets as Python does: a single name takes v whole,
// several take its items, which must match them in number. what names the
// targets in the error ("names", "loop variables").
func unpack(sc *scope, targets []string, v any, what string) {
	if len(targets) == 1 {
		sc.vars[targets[0]] = v
		return
	}
	items := iterate(v)
	if len(items) != len(targets) {
		failf("cannot unpack %d values into %d %s", len(items), len(targets), what)
	}
	for i, t := range targets {
		sc.vars[t] = items[i]
	}
}

func (r *renderer) execFor(x *forNode, sc *scope) {
	seq := r.eval(x.iter, sc)
	if _, ok := seq.(Undefined); !ok && seq == nil {
		failf("'NoneType' object is not iterable")
	}
	items := iterate(seq)
	bind := func(s *scope, item any) { unpack(s, x.targets, item, "loop variables") }
	if x.filter != nil {
		kept := items[:0:0]
		for _, it := range items {
			s := sc.child()
			bind(s, it)
			if truthy(r.eval(x.filter, s)) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		if x.orElse != nil {
			r.exec(x.orElse, sc)
		}
		return
	}
	for i, it := range items {
		s := sc.child()
		s.vars["loop"] = &loopInfo{index0: i, items: items}
		bind(s, it)
		if err := r.exec(x.body, s); err == errBreak {
			break
		}
	}
}

// loopInfo is the `loop` variable of a for loop.
type loopInfo struct {
	index0 int
	items  []any
}

func (l *loopInfo) attr(name string) any {
	n := len(l.items)
	switch name {
	case "index":
		return l.index0 + 1
	case "index0":
		return l.index0
	case "revindex":
		return n - l.index0
	case "revindex0":
		return n - l.index0 - 1
	case "first":
		return l.index0 == 0
	case "last":
		return l.index0 == n-1
	case "length":
		return n
	case "depth":
		return 1
	case "depth0":
		return 0
	case "previtem":
		if l.index0 > 0 {
			return l.items[l.index0-1]
		}
		return Undefined{"previtem"}
	case "nextitem":
		if l.index0 < n-1 {
			return l.items[l.index0+1]
		}
		return Undefined{"nextitem"}
	case "cycle":
		return function(func(args []any, _ *Dict) (any, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("loop.cycle needs at least one value")
			}
			return args[l.index0%len(args)], nil
		})
	}
	return Undefined{"loop." + name}
}

func (r *renderer) makeMacro(m *macroNode, def *scope) function {
	return func(args []any, kwargs *Dict) (any, error) {
		s := def.child()
		for i, p := range m.params {
			switch {
			case i < len(args):
				s.vars[p] = args[i]
			case kwargs != nil && hasKey(kwargs, p):
				s.vars[p], _ = kwargs.Get(p)
			case m.defaults[i] != nil:
				s.vars[p] = r.eval(m.defaults[i], s)
			default:
				s.vars[p] = Undefined{p}
			}
		}
		saved := r.out
		r.out = strings.Builder{}
		r.exec(m.body, s)
		res := r.out.String()
		r.out = saved
		return res, nil
	}
}

func hasKey(d *Dict, k string) bool { _, ok := d.m[k]; return ok }

// iterate lists the items a for loop visits.
func iterate(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out
	case *Dict:
		out := make([]any, len(x.keys))
		for i, k := range x.keys {
			out[i] = k
		}
		return out
	case Undefined:
		return nil
	}
	failf("'%s' object is not iterable", typeName(v))
	return nil
}

func (r *renderer) eval(e expr, sc *scope) any {
	switch x := e.(type) {
	case *literal:
		return x.val
	case *nameExpr:
		if v, ok := sc.lookup(x.name); ok {
			return v
		}
		if v, ok := r.globals[x.name]; ok {
			return v
		}
		return Undefined{x.name}
	case *attrExpr:
		return getAttr(r.eval(x.obj, sc), x.name)
	case *itemExpr:
		return getItem(r.eval(x.obj, sc), r.eval(x.key, sc))
	case *sliceExpr:
		return r.slice(x, sc)
	case *callExpr:
		fn := r.eval(x.fn, sc)
		f, ok := fn.(function)
		if !ok {
			if u, isU := fn.(Undefined); isU {
				failf("'%s' is undefined", u.Name)
			}
			failf("'%s' object is not callable", typeName(fn))
		}
		args, kwargs := r.evalArgs(x.args, x.kwargs, sc)
		v, err := f(args, kwargs)
		if err != nil {
			var te *TemplateError
			if errors.As(err, &te) {
				panic(te)
			}
			panic(renderPanic{err})
		}
		return v
	case *filterExpr:
		v := r.eval(x.obj, sc)
		args, kwargs := r.evalArgs(x.args, x.kwargs, sc)
		return applyFilter(x.name, v, args, kwargs)
	case *testExpr:
		v := r.eval(x.obj, sc)
		args, _ := r.evalArgs(x.args, nil, sc)
		return applyTest(x.name, v, args) != x.negate
	case *unExpr:
		v := r.eval(x.x, sc)
		switch x.op {
		case "not":
			return !truthy(v)
		case "-":
			switch n := v.(type) {
			case int:
				return -n
			case float64:
				return -n
			}
			failf("bad operand type for unary -: '%s'", typeName(v))
		case "+":
			return v
		}
	case *binExpr:
		return r.binary(x, sc)
	case *compareExpr:
		l := r.eval(x.first, sc)
		for i, op := range x.ops {
			rv := r.eval(x.rest[i], sc)
			if !compare(op, l, rv) {
				return false
			}
			l = rv
		}
		return true
	case *condExpr:
		if truthy(r.eval(x.cond, sc)) {
			return r.eval(x.then, sc)
		}
		if x.orElse == nil {
			return Undefined{}
		}
		return r.eval(x.orElse, sc)
	case *listExpr:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			out[i] = r.eval(it, sc)
		}
		return out
	case *tupleExpr:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			out[i] = r.eval(it, sc)
		}
		return out
	case *dictExpr:
		d := NewDict()
		for i := range x.keys {
			k := r.eval(x.keys[i], sc)
			ks, ok := k.(string)
			if !ok {
				ks = pyStr(k)
			}
			d.Set(ks, r.eval(x.vals[i], sc))
		}
		return d
	}
	failf("unsupported expression %T", e)
	return nil
}

func (r *renderer) evalArgs(args []expr, kws []kwarg, sc *scope) ([]any, *Dict) {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = r.eval(a, sc)
	}
	var kw *Dict
	if len(kws) > 0 {
		kw = NewDict()
		for _, k := range kws {
			kw.Set(k.name, r.eval(k.val, sc))
		}
	}
	return out, kw
}

func (r *renderer) slice(x *sliceExpr, sc *scope) any {
	v := r.eval(x.obj, sc)
	bound := func(e expr) (int, bool) {
		if e == nil {
			return 0, false
		}
		b := r.eval(e, sc)
		if b == nil {
			return 0, false
		}
		n, ok := b.(int)
		if !ok {
			failf("slice indices must be integers or None")
		}
		return n, true
	}
	start, hasStart := bound(x.start)
	stop, hasStop := bound(x.stop)
	step, hasStep := bound(x.step)
	if !hasStep {
		step = 1
	}
	if step == 0 {
		failf("slice step cannot be zero")
	}
	var n int
	var runes []rune
	var list []any
	switch s := v.(type) {
	case []any:
		list, n = s, len(s)
	case string:
		runes = []rune(s)
		n = len(runes)
	case Undefined:
		failf("'%s' is undefined", s.Name)
	default:
		failf("'%s' object is not subscriptable", typeName(v))
	}
	idx := pySliceIndices(n, start, stop, step, hasStart, hasStop)
	if list != nil || runes == nil {
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, list[i])
		}
		return out
	}
	var sb strings.Builder
	for _, i := range idx {
		sb.WriteRune(runes[i])
	}
	return sb.String()
}

// pySliceIndices returns the indices Python's seq[start:stop:step] visits.
func pySliceIndices(n, start, stop, step int, hasStart, hasStop bool) []int {
	norm := func(i, def int, has bool, lo, hi int) int {
		if !has {
			return def
		}
		if i < 0 {
			i += n
			if i < lo {
				i = lo
			}
		} else if i > hi {
			i = hi
		}
		return i
	}
	var out []int
	if step > 0 {
		a := norm(start, 0, hasStart, 0, n)
		b := norm(stop, n, hasStop, 0, n)
		for i := a; i < b; i += step {
			out = append(out, i)
		}
	} else {
		a := norm(start, n-1, hasStart, -1, n-1)
		b := norm(stop, -1, hasStop, -1, n-1)
		for i := a; i > b; i += step {
			out = append(out, i)
		}
	}
	return out
}

func (r *renderer) binary(x *binExpr, sc *scope) any {
	l := r.eval(x.l, sc)
	switch x.op {
	case "and":
		if !truthy(l) {
			return l
		}
		return r.eval(x.r, sc)
	case "or":
		if truthy(l) {
			return l
		}
		return r.eval(x.r, sc)
	}
	rv := r.eval(x.r, sc)
	if x.op == "~" {
		return pyStr(l) + pyStr(rv)
	}
	for _, v := range []any{l, rv} {
		if u, ok := v.(Undefined); ok {
			failf("'%s' is undefined", u.Name)
		}
	}
	if x.op == "+" {
		switch a := l.(type) {
		case string:
			if b, ok := rv.(string); ok {
				return a + b
			}
			failf(`can only concatenate str (not "%s") to str`, typeName(rv))
		case []any:
			if b, ok := rv.([]any); ok {
				return append(append([]any{}, a...), b...)
			}
			failf(`can only concatenate list (not "%s") to list`, typeName(rv))
		}
	}
	if x.op == "%" {
		if s, ok := l.(string); ok {
			return pyFormat(s, rv)
		}
	}
	if x.op == "*" {
		if s, ok := l.(string); ok {
			if n, ok := rv.(int); ok {
				return strings.Repeat(s, max(n, 0))
			}
		}
	}
	ai, aInt := asInt(l)
	bi, bInt := asInt(rv)
	if aInt && bInt {
		switch x.op {
		case "+":
			return ai + bi
		case "-":
			return ai - bi
		case "*":
			return ai * bi
		case "//":
			if bi == 0 {
				failf("integer division or modulo by zero")
			}
			return floorDiv(ai, bi)
		case "%":
			if bi == 0 {
				failf("integer division or modulo by zero")
			}
			return ai - bi*floorDiv(ai, bi)
		case "**":
			if bi >= 0 {
				p := 1
				for k := 0; k < bi; k++ {
					p *= ai
				}
				return p
			}
		}
	}
	a, okA := toNumber(boolToInt(l))
	b, okB := toNumber(boolToInt(rv))
	if !okA || !okB {
		failf("unsupported operand type(s) for %s: '%s' and '%s'", x.op, typeName(l), typeName(rv))
	}
	switch x.op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			failf("division by zero")
		}
		return a / b
	case "//":
		if b == 0 {
			failf("float floor division by zero")
		}
		return math.Floor(a / b)
	case "%":
		if b == 0 {
			failf("float modulo")
		}
		return a - b*math.Floor(a/b)
	case "**":
		return math.Pow(a, b)
	}
	failf("unknown operator %s", x.op)
	return nil
}

func boolToInt(v any) any {
	if b, ok := v.(bool); ok {
		if b {
			return 1
		}
		return 0
	}
	return v
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func compare(op string, l, r any) bool {
	switch op {
	case "==":
		return equal(l, r)
	case "!=":
		return !equal(l, r)
	case "in":
		return contains(r, l)
	case "not in":
		return !contains(r, l)
	}
	if a, ok := toNumber(boolToInt(l)); ok {
		if b, ok := toNumber(boolToInt(r)); ok {
			if res, ok := ordered(op, a, b); ok {
				return res
			}
		}
	}
	if a, ok := l.(string); ok {
		if b, ok := r.(string); ok {
			if res, ok := ordered(op, a, b); ok {
				return res
			}
		}
	}
	failf("'%s' not supported between instances of '%s' and '%s'", op, typeName(l), typeName(r))
	return false
}

// ordered applies an ordering operator to two numbers or two strings; ok is
// false for any other operator. The operators are Go's own, so NaN compares
// false both ways, as in Python.
func ordered[T cmp.Ordered](op string, a, b T) (result, ok bool) {
	switch op {
	case "<":
		return a < b, true
	case ">":
		return a > b, true
	case "<=":
		return a <= b, true
	case ">=":
		return a >= b, true
	}
	return false, false
}

func contains(container, item any) bool {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			failf("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s)
	case []any:
		for _, e := range c {
			if equal(e, item) {
				return true
			}
		}
		return false
	case *Dict:
		s, ok := item.(string)
		return ok && hasKey(c, s)
	case Undefined:
		return false
	}
	failf("argument of type '%s' is not iterable", typeName(container))
	return false
}

// getAttr is Jinja's obj.name: methods and attributes first, then items.
func getAttr(obj any, name string) any {
	switch o := obj.(type) {
	case Undefined:
		if o.Name == "" {
			failf("undefined value has no attribute '%s'", name)
		}
		failf("'%s' is undefined", o.Name)
	case *Dict:
		if m := dictMethod(o, name); m != nil {
			return m
		}
		if v, ok := o.m[name]; ok {
			return v
		}
		return Undefined{name}
	case *Namespace:
		if v, ok := o.vals.m[name]; ok {
			return v
		}
		return Undefined{name}
	case *loopInfo:
		return o.attr(name)
	case string:
		if m := stringMethod(o, name); m != nil {
			return m
		}
	case []any:
		if m := listMethod(o, name); m != nil {
			return m
		}
	}
	return Undefined{name}
}

// getItem is Jinja's obj[key]: items first, then attributes.
func getItem(obj any, key any) any {
	switch o := obj.(type) {
	case Undefined:
		failf("'%s' is undefined", o.Name)
	case *Dict:
		if k, ok := key.(string); ok {
			if v, ok := o.m[k]; ok {
				return v
			}
			return getAttr(obj, k)
		}
		return Undefined{pyStr(key)}
	case []any:
		if i, ok := key.(int); ok {
			if i < 0 {
				i += len(o)
			}
			if i >= 0 && i < len(o) {
				return o[i]
			}
			return Undefined{}
		}
	case string:
		if i, ok := key.(int); ok {
			runes := []rune(o)
			if i < 0 {
				i += len(runes)
			}
			if i >= 0 && i < len(runes) {
				return string(runes[i])
			}
			return Undefined{}
		}
	}
	if k, ok := key.(string); ok {
		return getAttr(obj, k)
	}
	return Undefined{}
}

// pyFormat is Python's printf-style "fmt % args" for the directives chat
// templates use: %s, %r, %d, %i, %f (with precision) and %%.
func pyFormat(f string, args any) string {
	list, ok := args.([]any)
	if !ok {
		list = []any{args}
	}
	var sb strings.Builder
	k := 0
	next := func() any {
		if k >= len(list) {
			failf("not enough arguments for format string")
		}
		k++
		return list[k-1]
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			sb.WriteByte(f[i])
			continue
		}
		j := i + 1
		for j < len(f) && (f[j] == '.' || (f[j] >= '0' && f[j] <= '9') || f[j] == '-') {
			j++
		}
		if j >= len(f) {
			failf("incomplete format")
		}
		spec := f[i+1 : j]
		switch f[j] {
		case '%':
			sb.WriteByte('%')
		case 's':
			sb.WriteString(fmt.Sprintf("%"+spec+"s", pyStr(next())))
		case 'r':
			sb.WriteString(pyRepr(next()))
		case 'd', 'i':
			v := next()
			n, ok := asInt(v)
			if !ok {
				fv, okf := toNumber(v)
				if !okf {
					failf("%%d format: a number is required, not %s", typeName(v))
				}
				n = int(fv)
			}
			sb.WriteString(fmt.Sprintf("%"+spec+"d", n))
		case 'f':
			v, ok := toNumber(boolToInt(next()))
			if !ok {
				failf("%%f format: a number is required")
			}
			if !strings.Contains(spec, ".") {
				spec += ".6"
			}
			sb.WriteString(fmt.Sprintf("%"+spec+"f", v))
		default:
			failf("unsupported format character %q", f[j])
		}
		i = j
	}
	if k < len(list) {
		failf("not all arguments converted during string formatting")
	}
	return sb.String()
}
