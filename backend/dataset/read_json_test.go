package dataset

import (
	"errors"
	"strings"
	"testing"
)

// The element reader finds elements by strings and brackets alone; what
// it cannot vouch for stops the stream, as json.Decoder did.
func TestJSONArrayElements(t *testing.T) {
	l, err := Load(t.Context(), writeFile(t, "s.json", ` [ {"text":"a]}\"[{,"} ,`+"\n"+`{"text":"b\\"}, 7, {"text":"c"} ] `), Options{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if l.Rows != 4 || l.Skipped != 1 || l.Conversations[0].Text != `a]}"[{,` || l.Conversations[1].Text != `b\` || l.Conversations[2].Text != "c" {
		t.Fatalf("%d rows, %d skipped: %+v", l.Rows, l.Skipped, l.Conversations)
	}
	for _, c := range []struct{ content, want string }{
		{`[{"text":"a"} {"text":"b"}]`, `after element 1: found '{' where a comma or ] should be`},
		{`[{"text":"a"},]`, "after element 1: a comma before the closing ]"},
		{`[{"text":"a"}, {"text":"b"`, "in element 2: the file ends inside it"},
		{`[{"text":"a"}, ,]`, "in element 2: found ',' where a value should start"},
		{`[{"text":"a"}, {"text": }]`, "in element 2: invalid character '}'"},
		{`[{"text":"a"}`, "the array is not closed with ]"},
	} {
		_, err := Load(t.Context(), writeFile(t, "e.json", c.content), Options{SkipBadRows: true})
		if !errors.Is(err, ErrInvalidJSON) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.content, err, c.want)
		}
	}
	if _, err := Load(t.Context(), writeFile(t, "empty.json", " [ ] "), Options{}); !errors.Is(err, ErrEmptyDataset) {
		t.Errorf("empty array: %v", err)
	}
}
