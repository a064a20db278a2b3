package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
)

// checkJSON accepts application/json, with a UTF-8 charset at most. It
// matters beyond tidiness: text/plain and forms are what a page on another
// origin may send without a CORS preflight, so refusing them refuses those.
func checkJSON(contentType string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("Content-Type must be application/json, got %q: %w", capString(contentType, 100), err)
	}
	if mt != "application/json" {
		return fmt.Errorf("Content-Type must be application/json, got %s", capString(mt, 100))
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return fmt.Errorf("Content-Type application/json takes no parameter but charset=utf-8, got %s=%s", capString(k, 50), capString(v, 50))
		}
	}
	return nil
}

// bodyError is a request body that could not be read, with its status.
type bodyError struct {
	status int
	err    error
}

func (e *bodyError) Error() string { return e.err.Error() }

// readBody reads a call's JSON arguments, up to max bytes. A declared
// length over the limit is refused before a byte is read; an undeclared
// one (chunked) is cut off at the limit, so no more than that is buffered.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return body, nil
	case errors.As(err, &mbe):
		return nil, tooLarge(max)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &bodyError{http.StatusRequestTimeout, errors.New("the request body came too slowly and was cut off")}
	default:
		return nil, &bodyError{http.StatusBadRequest, fmt.Errorf("read request body: %w", err)}
	}
}

func tooLarge(max int64) error {
	return &bodyError{http.StatusRequestEntityTooLarge, fmt.Errorf("the request body is larger than the server's limit of %s", formatBytes(max))}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
