package runconfig

import (
	"strings"
	"testing"
)

// A typo'd key is reported in the config's own terms, with the section,
// the line and the field it was probably meant to be; never as a Go type.
func TestUnknownFieldMessages(t *testing.T) {
	_, err := Parse([]byte("model:\n  source: m\ntraining:\n  learning_rat: 0.001\n"))
	if err == nil {
		t.Fatal("typo accepted")
	}
	msg := err.Error()
	for _, want := range []string{`line 4`, `unknown field "learning_rat" in training`, `did you mean "learning_rate"?`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "runconfig.") {
		t.Errorf("%q names a Go type", msg)
	}

	var c Config
	err = c.Set("trainig.max_steps", "5")
	if err == nil || !strings.Contains(err.Error(), `unknown field "trainig" at the top level (did you mean "training"?)`) || strings.Contains(err.Error(), "line 1") {
		t.Errorf("set with a typo: %v", err)
	}
	// Nothing close: the known fields are listed instead.
	_, err = Parse([]byte("checkpoint:\n  zzzzzzzz: 1\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown field "zzzzzzzz" in checkpoint; known fields: every, keep`) {
		t.Errorf("far-off key: %v", err)
	}
}

func TestBadScalarValuesSayWhatWasExpected(t *testing.T) {
	c := Default()
	err := c.Set("training.learning_rate", "abc")
	if err == nil || !strings.Contains(err.Error(), `"abc" is not a number`) {
		t.Fatalf("err = %v", err)
	}
	err = c.Set("lora.r", "eight")
	if err == nil || !strings.Contains(err.Error(), `"eight" is not a whole number`) {
		t.Fatalf("err = %v", err)
	}
	err = c.Set("training.packing", "maybe")
	if err == nil || !strings.Contains(err.Error(), `"maybe" is not true or false`) {
		t.Fatalf("err = %v", err)
	}
}
