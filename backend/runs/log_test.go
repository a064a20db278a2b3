package runs

import (
	"os"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/events"
)

// A live "run.log" line carries the stamp train.log gives it, so the run
// page shows the same line before and after a reload.
func TestLogfPublishesTheStampOfTrainLog(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Create(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := &events.Recorder{}
	j := &Job{ID: r.ID, Store: s, emitter: rec}
	j.Logf("step %d", 3)

	evs := rec.Events()
	if len(evs) != 1 || evs[0].Topic != TopicLog {
		t.Fatalf("events = %+v", evs)
	}
	ev := evs[0].Payload.(LogEvent)
	if ev.ID != r.ID || ev.Line != "step 3" || ev.Time == "" {
		t.Fatalf("event = %+v", ev)
	}
	b, err := os.ReadFile(s.LogPath(r.ID))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(b)), ev.Time+" "+ev.Line; got != want {
		t.Errorf("train.log = %q, want %q", got, want)
	}
}
