package restapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A stream that falls behind loses events rather than holding up the
// emitter (training), and learns that it did.
func TestBroadcasterDropsForSlowStreamsAndSaysSo(t *testing.T) {
	b := NewBroadcaster()
	runsOnly := b.subscribe(func(topic string, _ any) bool { return topic == "run.state" })
	defer b.unsubscribe(runsOnly)
	for i := 0; i <= streamBuffer; i++ {
		b.Emit("run.state", i)
		b.Emit("other", i)
	}
	require.Len(t, runsOnly.c, streamBuffer)
	require.True(t, runsOnly.takeLost(b))
	require.False(t, runsOnly.takeLost(b))
	require.Equal(t, 0, (<-runsOnly.c).Payload)

	b.unsubscribe(runsOnly)
	b.Emit("run.state", "after")
	require.Len(t, runsOnly.c, streamBuffer-1)
}
