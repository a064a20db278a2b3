package runs

import (
	"encoding/json"
	"fmt"
	"os"
)

// StateFormat is the format of the state.json files this build writes. A
// state.json without a "format" field is format 1, from before the field
// existed: it has the same fields and is read as it is, and it is upgraded
// (the field added) only when the run's state is next written. A newer
// format is refused: the run is listed as damaged, with the file and the
// format named, and nothing here rewrites, repairs or resumes it.
const StateFormat = 2

// stateFile is state.json on disk: the record and its format.
type stateFile struct {
	Format int `json:"format"`
	Record
}

// encodeState is what writeState and Create put in state.json.
func encodeState(rec Record) stateFile {
	return stateFile{Format: StateFormat, Record: rec}
}

// stateFormat returns the format a state.json's data declares: 1 when it
// has no "format" field, 0 when it is not a JSON object with a numeric
// format (the full parse then says what is wrong).
func stateFormat(data []byte) int {
	var head struct {
		Format *int `json:"format"`
	}
	if json.Unmarshal(data, &head) != nil {
		return 0
	}
	if head.Format == nil {
		return 1
	}
	return *head.Format
}

// newerFormatProblem is readState's problem for a state.json written by a
// newer Whetstone, "" for a format this build reads.
func newerFormatProblem(data []byte) string {
	if f := stateFormat(data); f > StateFormat {
		return fmt.Sprintf("has format %d, newer than this Whetstone reads (format %d): it was written by a newer version of Whetstone; open the run with that version (or newer); it is left unchanged", f, StateFormat)
	}
	return ""
}

// newerFormat reports whether the run's state.json was written by a newer
// Whetstone: such a run is neither resumed nor repaired.
func (s *Store) newerFormat(id string) bool {
	data, err := os.ReadFile(s.statePath(id))
	return err == nil && newerFormatProblem(data) != ""
}
