package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// handleCall runs one service method: JSON array in, JSON result out.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// A call may run for minutes (an export); its answer must still go out.
	_ = rc.SetWriteDeadline(time.Now().Add(s.opts.Timeouts.Call))
	body, ok := s.readJSONBody(w, r)
	if !ok {
		return
	}
	// The body is in, so the read deadline has done its job. One still set
	// while the call runs would cancel it when it passes (the server's
	// background read, which watches for the client leaving, fails on it:
	// Go issue 70834). net/http clears it as that read starts; clearing it
	// here too keeps a minutes-long call safe whatever else set one.
	_ = rc.SetReadDeadline(time.Time{})

	name := r.PathValue("service") + "." + r.PathValue("method")
	start := time.Now()
	res, err := s.d.call(r.Context(), s.opts.Scope, name, body)
	if err != nil {
		s.callFailed(w, r, name, err)
		return
	}
	s.log.Debug().Str("method", name).Dur("took", time.Since(start)).Msg("call")
	writeJSON(w, http.StatusOK, res)
}

// readJSONBody reads a request's JSON body, capped at MaxBodyBytes; a
// refused one is logged and answered, and ok is false.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	if err := checkJSON(r.Header.Get("Content-Type")); err != nil {
		writeError(w, r, http.StatusUnsupportedMediaType, err)
		return nil, false
	}
	body, err := readBody(w, r, s.opts.MaxBodyBytes)
	if err != nil {
		var be *bodyError
		status := http.StatusBadRequest
		if errors.As(err, &be) {
			status = be.status
		}
		s.log.Warn().Str("remote", r.RemoteAddr).Str("path", capString(r.URL.Path, 200)).Int("status", status).Err(err).Msg("refused a request's body")
		writeError(w, r, status, err)
		return nil, false
	}
	return body, true
}

// callFailed logs and answers a method's error. Both are capped: a method
// that echoes a 50 MB argument in its error sends none of it back whole.
// The arguments themselves are never logged.
func (s *Server) callFailed(w http.ResponseWriter, r *http.Request, name string, err error) {
	status := statusOf(err)
	ev := s.log.Warn()
	if status >= 500 {
		ev = s.log.Error()
	}
	ev.Str("method", capString(name, 200)).Int("status", status).Str("error", capString(err.Error(), maxLoggedErrorChars)).Msg("call failed")
	msg := err.Error()
	if status >= 500 {
		// Keep the stack in the log, not in the user's face.
		msg, _, _ = strings.Cut(msg, "\n")
	}
	writeJSON(w, status, map[string]string{"error": capString(msg, maxErrorChars)})
}
