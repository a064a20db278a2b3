package chattemplate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// builtinGlobals are the functions transformers exposes to chat templates
// plus Jinja's own globals.
func builtinGlobals() map[string]any {
	return map[string]any{
		"raise_exception": function(func(args []any, _ *Dict) (any, error) {
			msg := ""
			if len(args) > 0 {
				msg = pyStr(args[0])
			}
			return nil, &TemplateError{Message: msg}
		}),
		"strftime_now": function(func(args []any, _ *Dict) (any, error) {
			if len(args) != 1 {
				return nil, fmt.Errorf("strftime_now takes one format argument")
			}
			return strftime(time.Now(), pyStr(args[0])), nil
		}),
		"namespace": function(func(args []any, kwargs *Dict) (any, error) {
			ns := &Namespace{vals: NewDict()}
			for _, a := range args {
				if d, ok := a.(*Dict); ok {
					for _, k := range d.keys {
						ns.vals.Set(k, d.m[k])
					}
				}
			}
			if kwargs != nil {
				for _, k := range kwargs.keys {
					ns.vals.Set(k, kwargs.m[k])
				}
			}
			return ns, nil
		}),
		"dict": function(func(args []any, kwargs *Dict) (any, error) {
			d := NewDict()
			if kwargs != nil {
				for _, k := range kwargs.keys {
					d.Set(k, kwargs.m[k])
				}
			}
			return d, nil
		}),
		"range": function(func(args []any, _ *Dict) (any, error) {
			ints := make([]int, len(args))
			for i, a := range args {
				n, ok := a.(int)
				if !ok {
					return nil, fmt.Errorf("range() arguments must be integers")
				}
				ints[i] = n
			}
			start, stop, step := 0, 0, 1
			switch len(ints) {
			case 1:
				stop = ints[0]
			case 2:
				start, stop = ints[0], ints[1]
			case 3:
				start, stop, step = ints[0], ints[1], ints[2]
			default:
				return nil, fmt.Errorf("range() takes 1 to 3 arguments")
			}
			if step == 0 {
				return nil, fmt.Errorf("range() step must not be zero")
			}
			var out []any
			for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
				out = append(out, i)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}),
	}
}

func argOr(args []any, i int, kwargs *Dict, name string, def any) any {
	if i < len(args) {
		return args[i]
	}
	if kwargs != nil {
		if v, ok := kwargs.m[name]; ok {
			return v
		}
	}
	return def
}

func applyFilter(name string, v any, args []any, kwargs *Dict) any {
	switch name {
	case "trim":
		chars := argOr(args, 0, kwargs, "chars", nil)
		if chars != nil {
			return strings.Trim(pyStr(v), pyStr(chars))
		}
		return strings.TrimFunc(pyStrStrict(v, "trim"), unicode.IsSpace)
	case "length", "count":
		return length(v)
	case "string":
		return pyStr(v)
	case "safe", "e", "escape":
		if name == "safe" {
			return v
		}
		return htmlEscape(pyStr(v))
	case "upper":
		return strings.ToUpper(pyStrStrict(v, name))
	case "lower":
		return strings.ToLower(pyStrStrict(v, name))
	case "title":
		return pyTitle(pyStrStrict(v, name))
	case "capitalize":
		s := []rune(strings.ToLower(pyStrStrict(v, name)))
		if len(s) > 0 {
			s[0] = unicode.ToUpper(s[0])
		}
		return string(s)
	case "replace":
		if len(args) < 2 {
			failf("replace filter needs two arguments")
		}
		return strings.ReplaceAll(pyStr(v), pyStr(args[0]), pyStr(args[1]))
	case "default", "d":
		def := argOr(args, 0, kwargs, "default_value", "")
		boolean := truthy(argOr(args, 1, kwargs, "boolean", false))
		if _, undef := v.(Undefined); undef || (boolean && !truthy(v)) {
			return def
		}
		return v
	case "tojson":
		indent := argOr(args, 0, kwargs, "indent", nil)
		return toJSON(v, indent)
	case "items":
		d, ok := v.(*Dict)
		if !ok {
			if _, undef := v.(Undefined); undef {
				return []any{}
			}
			failf("items filter needs a mapping, got %s", typeName(v))
		}
		out := make([]any, len(d.keys))
		for i, k := range d.keys {
			out[i] = []any{k, d.m[k]}
		}
		return out
	case "list":
		return append([]any{}, iterate(v)...)
	case "first":
		items := iterate(v)
		if len(items) == 0 {
			return Undefined{"first"}
		}
		return items[0]
	case "last":
		items := iterate(v)
		if len(items) == 0 {
			return Undefined{"last"}
		}
		return items[len(items)-1]
	case "reverse":
		if s, ok := v.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r)
		}
		items := iterate(v)
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return out
	case "join":
		sep := pyStr(argOr(args, 0, kwargs, "d", ""))
		attr := argOr(args, 1, kwargs, "attribute", nil)
		items := iterate(v)
		parts := make([]string, len(items))
		for i, it := range items {
			if attr != nil {
				it = getAttr(it, pyStr(attr))
			}
			parts[i] = pyStr(it)
		}
		return strings.Join(parts, sep)
	case "int":
		switch x := v.(type) {
		case int:
			return x
		case float64:
			return int(x)
		case bool:
			n, _ := asInt(x)
			return n
		case string:
			if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
				return n
			}
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return int(f)
			}
		}
		return argOr(args, 0, kwargs, "default", 0)
	case "float":
		switch x := v.(type) {
		case int:
			return float64(x)
		case float64:
			return x
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f
			}
		}
		return argOr(args, 0, kwargs, "default", 0.0)
	case "abs":
		switch x := v.(type) {
		case int:
			if x < 0 {
				return -x
			}
			return x
		case float64:
			if x < 0 {
				return -x
			}
			return x
		}
		failf("bad operand type for abs(): '%s'", typeName(v))
	case "map":
		items := iterate(v)
		out := make([]any, len(items))
		if kwargs != nil && hasKey(kwargs, "attribute") {
			attr := pyStr(kwargs.m["attribute"])
			def, hasDef := kwargs.m["default"]
			for i, it := range items {
				x := getAttr(it, attr)
				if _, undef := x.(Undefined); undef && hasDef {
					x = def
				}
				out[i] = x
			}
			return out
		}
		if len(args) == 0 {
			failf("map filter needs a filter name or attribute=")
		}
		fname := pyStr(args[0])
		for i, it := range items {
			out[i] = applyFilter(fname, it, args[1:], nil)
		}
		return out
	case "selectattr", "rejectattr", "select", "reject":
		return selectFilter(name, v, args)
	case "unique":
		var out []any
		for _, it := range iterate(v) {
			dup := false
			for _, o := range out {
				if equal(o, it) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, it)
			}
		}
		if out == nil {
			out = []any{}
		}
		return out
	case "sort":
		items := append([]any{}, iterate(v)...)
		rev := truthy(argOr(args, 0, kwargs, "reverse", false))
		attr := argOr(args, 2, kwargs, "attribute", nil)
		key := func(x any) any {
			if attr != nil {
				return getAttr(x, pyStr(attr))
			}
			return x
		}
		sort.SliceStable(items, func(i, j int) bool {
			a, b := key(items[i]), key(items[j])
			if rev {
				return compare("<", b, a)
			}
			return compare("<", a, b)
		})
		return items
	case "indent":
		width := 4
		if w, ok := argOr(args, 0, kwargs, "width", 4).(int); ok {
			width = w
		}
		first := truthy(argOr(args, 1, kwargs, "first", false))
		pad := strings.Repeat(" ", width)
		lines := strings.Split(pyStr(v), "\n")
		for i := range lines {
			if (i > 0 || first) && lines[i] != "" {
				lines[i] = pad + lines[i]
			}
		}
		return strings.Join(lines, "\n")
	case "dictsort":
		d, ok := v.(*Dict)
		if !ok {
			failf("dictsort needs a mapping")
		}
		keys := append([]string{}, d.keys...)
		sort.Strings(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = []any{k, d.m[k]}
		}
		return out
	case "wordcount":
		return len(strings.Fields(pyStr(v)))
	}
	failf("unknown filter %q", name)
	return nil
}

// pyStrStrict is pyStr for filters that Jinja applies to strings; undefined
// values render as empty strings there too.
func pyStrStrict(v any, filter string) string {
	switch x := v.(type) {
	case string:
		return x
	case Undefined:
		return ""
	}
	return pyStr(v)
}

func length(v any) int {
	switch x := v.(type) {
	case string:
		return len([]rune(x))
	case []any:
		return len(x)
	case *Dict:
		return x.Len()
	case Undefined:
		return 0
	}
	failf("object of type '%s' has no len()", typeName(v))
	return 0
}

func selectFilter(name string, v any, args []any) any {
	items := iterate(v)
	byAttr := name == "selectattr" || name == "rejectattr"
	keep := name == "selectattr" || name == "select"
	out := []any{}
	for _, it := range items {
		x := it
		rest := args
		if byAttr {
			if len(args) == 0 {
				failf("%s needs an attribute name", name)
			}
			x = getAttr(it, pyStr(args[0]))
			rest = args[1:]
		}
		var ok bool
		if len(rest) == 0 {
			ok = truthy(x)
		} else {
			ok = applyTest(pyStr(rest[0]), x, rest[1:])
		}
		if ok == keep {
			out = append(out, it)
		}
	}
	return out
}

func applyTest(name string, v any, args []any) bool {
	_, undef := v.(Undefined)
	switch name {
	case "defined":
		return !undef
	case "undefined":
		return undef
	case "none":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		switch v.(type) {
		case int, float64:
			return true
		}
		return false
	case "integer":
		_, ok := v.(int)
		return ok
	case "float":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "true":
		b, ok := v.(bool)
		return ok && b
	case "false":
		b, ok := v.(bool)
		return ok && !b
	case "mapping":
		_, ok := v.(*Dict)
		return ok
	case "iterable":
		switch v.(type) {
		case string, []any, *Dict, Undefined:
			return true
		}
		return false
	case "sequence":
		switch v.(type) {
		case string, []any, *Dict:
			return true
		}
		return false
	case "callable":
		_, ok := v.(function)
		return ok
	case "even", "odd":
		n, ok := v.(int)
		if !ok {
			failf("%s test needs an integer", name)
		}
		return (n%2 == 0) == (name == "even")
	case "divisibleby":
		n, ok1 := v.(int)
		if len(args) != 1 {
			failf("divisibleby needs one argument")
		}
		d, ok2 := args[0].(int)
		return ok1 && ok2 && d != 0 && n%d == 0
	case "eq", "equalto", "==":
		return len(args) == 1 && equal(v, args[0])
	case "ne", "!=":
		return len(args) == 1 && !equal(v, args[0])
	case "sameas":
		return len(args) == 1 && sameAs(v, args[0])
	case "in":
		return len(args) == 1 && contains(args[0], v)
	case "lower":
		s, ok := v.(string)
		return ok && s == strings.ToLower(s)
	case "upper":
		s, ok := v.(string)
		return ok && s == strings.ToUpper(s)
	case "gt", ">":
		return len(args) == 1 && compare(">", v, args[0])
	case "ge", ">=":
		return len(args) == 1 && compare(">=", v, args[0])
	case "lt", "<":
		return len(args) == 1 && compare("<", v, args[0])
	case "le", "<=":
		return len(args) == 1 && compare("<=", v, args[0])
	}
	failf("unknown test %q", name)
	return false
}

func sameAs(a, b any) bool {
	switch x := a.(type) {
	case nil, bool:
		return a == b
	case *Dict:
		y, ok := b.(*Dict)
		return ok && x == y
	}
	return equal(a, b)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// pyTitle is Python's str.title(): uppercase after any non-letter.
func pyTitle(s string) string {
	var sb strings.Builder
	prevLetter := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prevLetter {
				sb.WriteRune(unicode.ToLower(r))
			} else {
				sb.WriteRune(unicode.ToTitle(r))
			}
			prevLetter = true
		} else {
			sb.WriteRune(r)
			prevLetter = false
		}
	}
	return sb.String()
}

// pyStrip implements str.strip/lstrip/rstrip with optional characters.
func pyStrip(s string, args []any, left, right bool) string {
	if len(args) > 0 && args[0] != nil {
		chars := pyStr(args[0])
		if left {
			s = strings.TrimLeft(s, chars)
		}
		if right {
			s = strings.TrimRight(s, chars)
		}
		return s
	}
	if left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

func method(f func(args []any) any) function {
	return func(args []any, _ *Dict) (any, error) { return f(args), nil }
}

func stringMethod(s string, name string) function {
	switch name {
	case "strip":
		return method(func(a []any) any { return pyStrip(s, a, true, true) })
	case "lstrip":
		return method(func(a []any) any { return pyStrip(s, a, true, false) })
	case "rstrip":
		return method(func(a []any) any { return pyStrip(s, a, false, true) })
	case "startswith", "endswith":
		return method(func(a []any) any {
			if len(a) == 0 {
				failf("%s needs an argument", name)
			}
			prefixes := []any{a[0]}
			if l, ok := a[0].([]any); ok {
				prefixes = l
			}
			for _, p := range prefixes {
				ps := pyStr(p)
				if (name == "startswith" && strings.HasPrefix(s, ps)) || (name == "endswith" && strings.HasSuffix(s, ps)) {
					return true
				}
			}
			return false
		})
	case "split", "rsplit":
		return method(func(a []any) any {
			var parts []string
			sep := any(nil)
			if len(a) > 0 {
				sep = a[0]
			}
			maxSplit := -1
			if len(a) > 1 {
				if n, ok := a[1].(int); ok {
					maxSplit = n
				}
			}
			if sep == nil {
				parts = splitWhitespace(s, maxSplit)
			} else if name == "split" {
				parts = strings.SplitN(s, pyStr(sep), maxSplit+boolToN(maxSplit >= 0))
			} else {
				parts = rsplit(s, pyStr(sep), maxSplit)
			}
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out
		})
	case "splitlines":
		return method(func(a []any) any {
			lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
			if len(lines) > 0 && lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			out := make([]any, len(lines))
			for i, l := range lines {
				out[i] = l
			}
			return out
		})
	case "upper":
		return method(func([]any) any { return strings.ToUpper(s) })
	case "lower":
		return method(func([]any) any { return strings.ToLower(s) })
	case "title":
		return method(func([]any) any { return pyTitle(s) })
	case "capitalize":
		return method(func([]any) any { return applyFilter("capitalize", s, nil, nil) })
	case "replace":
		return method(func(a []any) any {
			if len(a) < 2 {
				failf("replace needs two arguments")
			}
			n := -1
			if len(a) > 2 {
				if c, ok := a[2].(int); ok {
					n = c
				}
			}
			return strings.Replace(s, pyStr(a[0]), pyStr(a[1]), n)
		})
	case "find":
		return method(func(a []any) any {
			if len(a) == 0 {
				failf("find needs an argument")
			}
			i := strings.Index(s, pyStr(a[0]))
			if i < 0 {
				return -1
			}
			return len([]rune(s[:i]))
		})
	case "count":
		return method(func(a []any) any {
			if len(a) == 0 {
				failf("count needs an argument")
			}
			return strings.Count(s, pyStr(a[0]))
		})
	case "join":
		return method(func(a []any) any {
			if len(a) == 0 {
				failf("join needs an argument")
			}
			items := iterate(a[0])
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = pyStr(it)
			}
			return strings.Join(parts, s)
		})
	case "isdigit", "isalpha", "isspace":
		return method(func([]any) any {
			if s == "" {
				return false
			}
			for _, r := range s {
				if (name == "isdigit" && !unicode.IsDigit(r)) || (name == "isalpha" && !unicode.IsLetter(r)) || (name == "isspace" && !unicode.IsSpace(r)) {
					return false
				}
			}
			return true
		})
	}
	return nil
}

func boolToN(b bool) int {
	if b {
		return 1
	}
	return 0
}

func rsplit(s, sep string, maxSplit int) []string {
	if maxSplit < 0 {
		return strings.Split(s, sep)
	}
	var out []string
	for maxSplit > 0 {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append([]string{s[i+len(sep):]}, out...)
		s = s[:i]
		maxSplit--
	}
	return append([]string{s}, out...)
}

func dictMethod(d *Dict, name string) function {
	switch name {
	case "items":
		return method(func([]any) any { return applyFilter("items", d, nil, nil) })
	case "keys":
		return method(func([]any) any { return iterate(d) })
	case "values":
		return method(func([]any) any {
			out := make([]any, len(d.keys))
			for i, k := range d.keys {
				out[i] = d.m[k]
			}
			return out
		})
	case "get":
		return method(func(a []any) any {
			if len(a) == 0 {
				failf("get needs a key")
			}
			if v, ok := d.m[pyStr(a[0])]; ok {
				return v
			}
			if len(a) > 1 {
				return a[1]
			}
			return nil
		})
	}
	return nil
}

func listMethod(l []any, name string) function {
	switch name {
	case "index":
		return method(func(a []any) any {
			for i, e := range l {
				if len(a) > 0 && equal(e, a[0]) {
					return i
				}
			}
			failf("value is not in list")
			return nil
		})
	case "count":
		return method(func(a []any) any {
			n := 0
			for _, e := range l {
				if len(a) > 0 && equal(e, a[0]) {
					n++
				}
			}
			return n
		})
	}
	return nil
}

// strftime formats t with Python's strftime directives.
func strftime(t time.Time, f string) string {
	var sb strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			sb.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'd':
			fmt.Fprintf(&sb, "%02d", t.Day())
		case 'm':
			fmt.Fprintf(&sb, "%02d", int(t.Month()))
		case 'Y':
			fmt.Fprintf(&sb, "%d", t.Year())
		case 'y':
			fmt.Fprintf(&sb, "%02d", t.Year()%100)
		case 'H':
			fmt.Fprintf(&sb, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&sb, "%02d", h)
		case 'M':
			fmt.Fprintf(&sb, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&sb, "%02d", t.Second())
		case 'p':
			if t.Hour() < 12 {
				sb.WriteString("AM")
			} else {
				sb.WriteString("PM")
			}
		case 'b':
			sb.WriteString(t.Month().String()[:3])
		case 'B':
			sb.WriteString(t.Month().String())
		case 'a':
			sb.WriteString(t.Weekday().String()[:3])
		case 'A':
			sb.WriteString(t.Weekday().String())
		case 'j':
			fmt.Fprintf(&sb, "%03d", t.YearDay())
		case 'Z':
			name, _ := t.Zone()
			sb.WriteString(name)
		case '%':
			sb.WriteByte('%')
		default:
			sb.WriteByte('%')
			sb.WriteByte(f[i])
		}
	}
	return sb.String()
}

// splitWhitespace is Python's str.split() without a separator: runs of
// whitespace separate, leading/trailing whitespace is ignored, and after
// maxSplit splits the rest (left-trimmed) is one part.
func splitWhitespace(s string, maxSplit int) []string {
	if maxSplit < 0 {
		return strings.Fields(s)
	}
	var out []string
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	for rest != "" && len(out) < maxSplit {
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			break
		}
		out = append(out, rest[:i])
		rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
	}
	if rest != "" {
		out = append(out, rest)
	}
	return out
}
