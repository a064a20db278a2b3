package restapi

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/httpapi"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// leadingField finds the field an invalid request's message starts with:
// the services write them as "page_size: must be ...", the same text the
// UI shows beside the field.
var leadingField = regexp.MustCompile(`^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): `)

// classify picks the status and error body for err. The services' errors
// carry their kind (errors.Is / errors.As), never a status: this is the one
// place the REST API maps them.
//
//   - a refused request body or parameter: 400, with the field
//   - service.ErrInvalidRequest: 400, with the field its message names
//   - a run config that cannot start (*service.ConfigError,
//     *runconfig.ValidationError): 422, with the first field at fault
//   - an unknown run, file, model or export: 404
//   - a path outside the allowed folders, a gated repository: 403
//   - a folder that must not be replaced, a run another process holds: 409
//   - a body over its bound: 413
//   - anything else the services report (a dataset that cannot be read, a
//     run in the wrong state): 422, the message as the UI shows it
func classify(err error) (int, httpapi.APIError) {
	msg := err.Error()
	var re *requestError
	if errors.As(err, &re) {
		return re.status, httpapi.APIError{Code: httpapi.CodeOf(re.status), Message: re.msg, Field: re.field}
	}
	var ce *service.ConfigError
	if errors.As(err, &ce) && len(ce.Fields) > 0 {
		return http.StatusUnprocessableEntity, httpapi.APIError{Code: "invalid", Message: msg, Field: ce.Fields[0].Field}
	}
	var ve *runconfig.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) > 0 {
		return http.StatusUnprocessableEntity, httpapi.APIError{Code: "invalid", Message: msg, Field: ve.Fields[0].Field}
	}
	var mbe *http.MaxBytesError
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(err, &mbe), errors.Is(err, service.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, service.ErrInvalidRequest):
		e := httpapi.APIError{Code: "invalid", Message: msg}
		if m := leadingField.FindStringSubmatch(msg); m != nil {
			e.Field = m[1]
		}
		return http.StatusBadRequest, e
	case errors.Is(err, runs.ErrNotFound), errors.Is(err, fs.ErrNotExist), errors.Is(err, hub.ErrNotFound), errors.Is(err, hub.ErrNotCached):
		status = http.StatusNotFound
	case errors.Is(err, pathpolicy.ErrOutside), errors.Is(err, hub.ErrGated):
		status = http.StatusForbidden
	case errors.Is(err, safefile.ErrExists), errors.Is(err, safefile.ErrNotOwned), errors.Is(err, runs.ErrRefused), errors.Is(err, runs.ErrDamaged):
		status = http.StatusConflict
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	case strings.Contains(msg, " failed unexpectedly: "): // a service's recovered panic
		status = http.StatusInternalServerError
		msg, _, _ = strings.Cut(msg, "\n")
	}
	return status, httpapi.APIError{Code: httpapi.CodeOf(status), Message: msg}
}
