package quote

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValueCapsLongInput(t *testing.T) {
	assert.Equal(t, `"short"`, Value("short"))
	long := strings.Repeat("x", 50<<20)
	got := Value(long)
	assert.Less(t, len(got), 200)
	assert.Contains(t, got, "(52428700 more bytes)")
	assert.True(t, strings.HasPrefix(got, `"`+strings.Repeat("x", Limit)+`"`))
}

func TestHeadCutsAtRuneBoundary(t *testing.T) {
	s := strings.Repeat("é", 150) // two bytes each
	head, cut := Head(s, 100)
	assert.Equal(t, strings.Repeat("é", 100), head)
	assert.Equal(t, 100, cut)
}

func TestTextKeepsValidUTF8(t *testing.T) {
	s := strings.Repeat("€", 10) // three bytes each
	got := Text(s, 8)
	assert.True(t, strings.HasPrefix(got, "€€…"), got)
	assert.Contains(t, got, "(24 more bytes)")
	assert.Equal(t, "abc", Text("abc", 8))
}
