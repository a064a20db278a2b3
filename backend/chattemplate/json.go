package chattemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// toJSON is transformers' tojson filter: Python's json.dumps with
// ensure_ascii=False, default separators (", " and ": "; "," between items
// when indenting) and the given indent.
func toJSON(v any, indent any) string {
	var sb strings.Builder
	ind := ""
	switch x := indent.(type) {
	case int:
		ind = strings.Repeat(" ", x)
	case string:
		ind = x
	}
	writeJSON(&sb, v, indent != nil, ind, 0)
	return sb.String()
}

func writeJSON(sb *strings.Builder, v any, pretty bool, ind string, depth int) {
	nl := func(d int) {
		sb.WriteByte('\n')
		for i := 0; i < d; i++ {
			sb.WriteString(ind)
		}
	}
	// startItem separates container items as Python's json.dumps does:
	// ", " on one line, or "," and a new indented line when pretty.
	startItem := func(i int) {
		if i > 0 {
			if pretty {
				sb.WriteByte(',')
			} else {
				sb.WriteString(", ")
			}
		}
		if pretty {
			nl(depth + 1)
		}
	}
	switch x := v.(type) {
	case nil, Undefined:
		sb.WriteString("null")
	case bool:
		if x {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case int:
		sb.WriteString(strconv.Itoa(x))
	case float64:
		s := pyFloat(x)
		switch s {
		case "inf":
			s = "Infinity"
		case "-inf":
			s = "-Infinity"
		case "nan":
			s = "NaN"
		}
		sb.WriteString(s)
	case string:
		writeJSONString(sb, x)
	case []any:
		if len(x) == 0 {
			sb.WriteString("[]")
			return
		}
		sb.WriteByte('[')
		for i, e := range x {
			startItem(i)
			writeJSON(sb, e, pretty, ind, depth+1)
		}
		if pretty {
			nl(depth)
		}
		sb.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			sb.WriteString("{}")
			return
		}
		sb.WriteByte('{')
		for i, k := range x.keys {
			startItem(i)
			writeJSONString(sb, k)
			sb.WriteString(": ")
			writeJSON(sb, x.m[k], pretty, ind, depth+1)
		}
		if pretty {
			nl(depth)
		}
		sb.WriteByte('}')
	case *Namespace:
		writeJSON(sb, x.vals, pretty, ind, depth)
	default:
		failf("Object of type %s is not JSON serializable", typeName(v))
	}
}

// writeJSONString escapes like Python's json with ensure_ascii=False: only
// the quote, the backslash and control characters below U+0020.
func writeJSONString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(sb, `\u%04x`, r)
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
}

// DecodeJSON parses JSON into template values, keeping object key order
// (tools and tool-call arguments are printed back with tojson) and integers
// as ints.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			d := NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return d, nil
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return out, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if n, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			return int(n), nil
		}
		f, err := t.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	default:
		return t, nil // string, bool, nil
	}
}
