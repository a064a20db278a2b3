package dataset_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// The documented example: the standard name is the key, the dataset's
// own name the value.
func TestParseMappingKeysDocumentedExample(t *testing.T) {
	m, errs := dataset.ParseMappingKeys(map[string]string{"conversations": "dialog", "from": "role"})
	require.Empty(t, errs)
	require.Equal(t, dataset.Mapping{ConversationColumn: "dialog", RoleKey: "role"}, m)

	m, errs = dataset.ParseMappingKeys(map[string]string{
		"messages": "chat", "content": "text", "instruction": "q", "input": "ctx", "output": "a", "system": "sys",
		"text": "body", "format": "ChatML", "roles.Bot": "Assistant", "roles.person": "user",
	})
	require.Empty(t, errs)
	require.Equal(t, dataset.Mapping{Format: dataset.FormatOpenAI, ConversationColumn: "chat", ContentKey: "text",
		InstructionColumn: "q", InputColumn: "ctx", OutputColumn: "a", SystemColumn: "sys", TextColumn: "body",
		Roles: map[string]string{"bot": "assistant", "person": "user"}}, m)

	// Mapping's own JSON names, as the Datasets screen sends them.
	m, errs = dataset.ParseMappingKeys(map[string]string{"conversation_column": "dialog", "role_key": "speaker", "content_key": "says"})
	require.Empty(t, errs)
	require.Equal(t, dataset.Mapping{ConversationColumn: "dialog", RoleKey: "speaker", ContentKey: "says"}, m)

	// Two names of one field agree, or it is an error.
	_, errs = dataset.ParseMappingKeys(map[string]string{"from": "role", "role_key": "role"})
	require.Empty(t, errs)
	_, errs = dataset.ParseMappingKeys(map[string]string{"from": "role", "role_key": "speaker"})
	require.Len(t, errs, 1)
	require.Equal(t, "role_key", errs[0].Key)
}

func TestParseMappingKeysErrors(t *testing.T) {
	_, errs := dataset.ParseMappingKeys(map[string]string{"turns": "x", "roles.": "user", "roles.bot": "robot", "format": "csv", "value": ""})
	got := map[string]string{}
	for _, e := range errs {
		got[e.Key] = e.Msg
	}
	require.Len(t, got, 5)
	for _, k := range dataset.MappingKeys() {
		require.Contains(t, got["turns"], k)
	}
	require.Contains(t, got["roles."], "names no role")
	require.Contains(t, got["roles.bot"], "not user, assistant or system")
	require.Contains(t, got["format"], "sharegpt")
	require.Contains(t, got["value"], "is empty")
	// In key order, so messages come out the same every time.
	require.True(t, slices.IsSortedFunc(errs, func(a, b dataset.KeyError) int {
		if a.Key < b.Key {
			return -1
		}
		return 1
	}))
	require.Equal(t, `mapping key "turns": `+got["turns"], errs[3].Error())
}

// The example reads a file it describes: turns in "dialog", the role under
// "role" (the "from" key holds names detection would take for roles).
func TestMappingExampleReadsItsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	row := `{"dialog": [{"from": "alice", "role": "user", "value": "Hi"}, {"from": "bob", "role": "assistant", "value": "Hello"}]}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(row+row), 0o644))
	if _, err := dataset.Load(t.Context(), path, dataset.Options{}); err == nil {
		t.Fatal("read without the mapping: detection should have taken from for the role")
	}
	m, errs := dataset.ParseMappingKeys(map[string]string{"conversations": "dialog", "from": "role"})
	require.Empty(t, errs)
	ld, err := dataset.Load(t.Context(), path, dataset.Options{Mapping: m})
	require.NoError(t, err)
	require.Len(t, ld.Conversations, 2)
	require.Equal(t, []dataset.Message{{Role: dataset.RoleUser, Content: "Hi"}, {Role: dataset.RoleAssistant, Content: "Hello"}},
		ld.Conversations[0].Messages)
}
