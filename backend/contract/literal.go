package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// literal writes v as encoding/json encodes it, laid out for reading: one
// member per line, and lists of scalars on one line when they are short.
func literal(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b strings.Builder
	if err := writeLiteral(&b, dec, ""); err != nil {
		return "", err
	}
	return b.String(), nil
}

// writeLiteral writes the next JSON value of dec.
func writeLiteral(b *strings.Builder, dec *json.Decoder, indent string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		b.WriteString(scalar(tok))
		return nil
	}
	inner := indent + "  "
	switch d {
	case '[':
		var items []string
		simple := true
		for dec.More() {
			var sub strings.Builder
			if err := writeLiteral(&sub, dec, inner); err != nil {
				return err
			}
			s := sub.String()
			simple = simple && !strings.ContainsAny(s, "{[\n")
			items = append(items, s)
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		if one := "[" + strings.Join(items, ", ") + "]"; simple && len(one)+len(indent) <= 100 {
			b.WriteString(one)
			return nil
		}
		b.WriteString("[\n")
		for i, s := range items {
			b.WriteString(inner + s)
			if i < len(items)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	case '{':
		if !dec.More() {
			_, err := dec.Token()
			b.WriteString("{}")
			return err
		}
		b.WriteString("{\n")
		first := true
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if !first {
				b.WriteString(",\n")
			}
			first = false
			b.WriteString(inner + propName(key.(string)) + ": ")
			if err := writeLiteral(b, dec, inner); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		b.WriteString("\n" + indent + "}")
	default:
		return errors.New("unexpected " + d.String())
	}
	return nil
}

func scalar(tok json.Token) string {
	switch x := tok.(type) {
	case nil:
		return "null"
	case string:
		s, _ := json.Marshal(x)
		return string(s)
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}
