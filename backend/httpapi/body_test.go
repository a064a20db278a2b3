package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestContentTypeParsed(t *testing.T) {
	ts := newTestServer(t)
	for ct, want := range map[string]int{
		"application/json":                  200,
		"application/json; charset=utf-8":   200,
		"Application/JSON;charset=UTF-8":    200,
		"text/plain":                        415, // what a page elsewhere may send unpreflighted
		"application/x-www-form-urlencoded": 415,
		"multipart/form-data; boundary=x":   415,
		"application/json; charset=latin1":  415,
		"application/json; boundary=x":      415,
		"application/jsonp":                 415,
		"application/json, text/plain":      415,
		"":                                  415,
	} {
		a := ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`, "Content-Type", ct)
		require.Equal(t, want, a.status, ct)
		if want == 415 {
			require.Contains(t, a.err, "application/json", ct)
		}
	}
}

// zeros is an endless body that counts how much of it the server pulled.
type zeros struct{ read atomic.Int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.read.Add(int64(len(p)))
	return len(p), nil
}

// A 50 MB body is refused without being buffered: declared, not a byte of
// it is read; undeclared (chunked), reading stops at the limit.
func TestOversizedBodyIsNotBuffered(t *testing.T) {
	s, err := New(Options{Token: testToken, Services: map[string]any{"Calc": &calc{}}})
	require.NoError(t, err)
	h := s.Handler()
	const fifty = 50 << 20
	for _, declared := range []bool{true, false} {
		body := &zeros{}
		req := httptest.NewRequest("POST", "http://127.0.0.1/api/call/Calc/Add", io.LimitReader(body, fifty))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.ContentLength = -1
		if declared {
			req.ContentLength = fifty
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
		require.Contains(t, rec.Body.String(), `"error":"the request body is larger than the server's limit of 4 MiB"`)
		if declared {
			require.Zero(t, body.read.Load(), "a declared oversized body is refused before reading")
		} else {
			require.LessOrEqual(t, body.read.Load(), int64(defaultMaxBodyBytes+64<<10), "reading stops at the limit")
		}
	}
}

// Over a real connection: a request announcing 50 MB is answered 413 with
// only its headers sent.
func TestOversizedContentLengthRefusedOnTheWire(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.MaxBodyBytes = 1 << 10 })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/call/Calc/Add HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		ts.Listener.Addr(), testToken, 50<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	raw, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(raw), "1 KiB")

	// Under the limit, the same call works.
	a := ts.call(t, "Calc/Add", `[{"a":1,"b":1}]`)
	require.Equal(t, 200, a.status)
	a = ts.call(t, "Calc/Echo", `["`+strings.Repeat("x", 2<<10)+`"]`)
	require.Equal(t, http.StatusRequestEntityTooLarge, a.status)
}
