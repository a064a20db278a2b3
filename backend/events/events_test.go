package events

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLateDropsUntilAttached(t *testing.T) {
	var l Late
	l.Emit("a", 1)
	rec := &Recorder{}
	l.Attach(rec)
	l.Emit("b", 2)
	require.Equal(t, []Event{{Topic: "b", Payload: 2}}, rec.Events())
}
