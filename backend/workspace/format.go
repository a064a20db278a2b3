package workspace

import (
	"encoding/json"
	"fmt"
)

// SettingsFormat is the format of the settings.json this build writes. A
// file without a "format" field is format 1, from before the field
// existed; it has the same fields and loads as it is. It is upgraded (the
// field added) only when the settings are saved. A newer format is
// refused, never rewritten: the file belongs to the newer Whetstone that
// wrote it.
const SettingsFormat = 2

// settingsFile is settings.json on disk: the settings and their format.
type settingsFile struct {
	Format int `json:"format"`
	Settings
}

// NewerFormatError says a file was written by a newer Whetstone.
type NewerFormatError struct {
	Path   string
	Format int // the file's format
	Known  int // the newest format this build reads
}

func (e *NewerFormatError) Error() string {
	return fmt.Sprintf("%s has format %d, newer than this Whetstone reads (format %d): it was written by a newer version of Whetstone; use that version (or newer), or move the file away to start over; it is left unchanged",
		e.Path, e.Format, e.Known)
}

// checkSettingsFormat refuses settings.json data whose format is newer
// than SettingsFormat. Data that is not a JSON object is left for the
// full parse to report.
func checkSettingsFormat(path string, data []byte) error {
	var head struct {
		Format int `json:"format"`
	}
	if json.Unmarshal(data, &head) != nil || head.Format <= SettingsFormat {
		return nil
	}
	return &NewerFormatError{Path: path, Format: head.Format, Known: SettingsFormat}
}
