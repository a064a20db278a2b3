package service_test

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/contract"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// contractFile is the generated contract, relative to this package.
const contractFile = "../../frontend/src/lib/generated/contract.ts"

// The committed contract must be what the Go code generates now: a bound
// method, a type it exchanges, an event, an enumeration or the run config
// schema changed without regenerating fails here (and so in CI).
func TestContractIsUpToDate(t *testing.T) {
	want, err := contract.Generate(contract.Whetstone("../.."))
	require.NoError(t, err)
	got, err := os.ReadFile(contractFile)
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("frontend/src/lib/generated/contract.ts is out of date (%s): run go generate ./backend/service", firstDifference(got, want))
	}
}

// firstDifference says where two texts part, by line.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is %q, the Go code gives %q", i+1, gl, wl)
		}
	}
	return "same lines"
}

// The contract's method table lists what httpapi's dispatcher and Wails
// bind: every exported method of every named service.
func TestContractListsEveryBoundMethod(t *testing.T) {
	data, err := os.ReadFile(contractFile)
	require.NoError(t, err)
	var want []string
	for name, svc := range (&service.Services{}).Named() {
		typ := reflect.TypeOf(svc)
		for i := 0; i < typ.NumMethod(); i++ {
			want = append(want, name+"."+typ.Method(i).Name)
		}
	}
	sort.Strings(want)
	require.NotEmpty(t, want)
	for _, m := range want {
		require.Contains(t, string(data), fmt.Sprintf("  %q: { args: [", m))
	}
	for topic := range service.EventPayloads() {
		require.Contains(t, string(data), fmt.Sprintf("  %q: ", topic))
	}
}
