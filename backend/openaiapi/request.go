package openaiapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/whetstone-ai/whetstone/backend/service"
)

// parseRequest reads a chat completion request into req and translates it
// into the chat service's request (without its model, which
// Services.UseServedModel sets). The service checks the values' ranges;
// this checks what only the wire format can get wrong, each error naming
// its field.
func parseRequest(body io.Reader, req *ChatCompletionRequest) (service.ChatRequest, error) {
	var out service.ChatRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(req); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return out, fieldErr("", "the body is empty: send a JSON chat completion request ({\"model\": ..., \"messages\": [...]})")
		case errors.As(err, &te) && te.Field != "":
			return out, fieldErr(te.Field, "want %s, got a JSON %s", kindOf(te.Type.Kind().String()), te.Value)
		}
		return out, fieldErr("", "the body is not a JSON chat completion request: %v", err)
	}
	if dec.More() {
		return out, fieldErr("", "the body holds more than one JSON value")
	}
	if req.Model == "" {
		return out, fieldErr("model", "no model given; GET /v1/models lists the models served")
	}
	if req.N != nil && *req.N != 1 {
		return out, fieldErr("n", "%d answers asked for; this server gives one per request", *req.N)
	}
	if len(req.Messages) == 0 {
		return out, fieldErr("messages", "the conversation is empty: send at least one user message")
	}
	if len(req.Messages) > service.MaxChatMessages {
		return out, fieldErr("messages", "%d messages, more than %d", len(req.Messages), service.MaxChatMessages)
	}
	size := 0
	for i, m := range req.Messages {
		role := m.Role
		if role == "developer" { // OpenAI's newer name for the system message
			role = "system"
		}
		switch role {
		case "system", "user", "assistant":
		default:
			return out, fieldErr(fmt.Sprintf("messages[%d].role", i), "%q is not served; use system, user or assistant (tools are not supported)", m.Role)
		}
		text, err := contentText(m.Content, fmt.Sprintf("messages[%d].content", i))
		if err != nil {
			return out, err
		}
		size += len(text)
		if size > MaxConversationBytes {
			return out, fieldErr("messages", "more than %d bytes of text", MaxConversationBytes)
		}
		out.Messages = append(out.Messages, service.ChatMessage{Role: role, Content: text})
	}
	stop, err := stopStrings(req.Stop)
	if err != nil {
		return out, err
	}
	out.Stop = stop

	// OpenAI samples at temperature 1 unless told otherwise.
	out.Temperature = 1
	if req.Temperature != nil {
		out.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		out.TopP = *req.TopP
	}
	if req.TopK != nil {
		out.TopK = *req.TopK
	}
	if req.MinP != nil {
		out.MinP = *req.MinP
	}
	if req.RepetitionPenalty != nil {
		out.RepetitionPenalty = *req.RepetitionPenalty
	}
	out.Weights = req.Weights
	for _, mt := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if mt.v == nil {
			continue
		}
		if *mt.v < 1 {
			return out, fieldErr(mt.name, "must be at least 1, got %d", *mt.v)
		}
		out.MaxNewTokens = *mt.v // the newer name, last, wins
	}
	// Without a seed, each request samples afresh, as OpenAI's do.
	if req.Seed != nil {
		out.Seed = uint64(*req.Seed)
	} else {
		out.Seed = rand.Uint64()
	}
	return out, nil
}

// contentText reads a message's content: a string, or an array of text
// parts joined; null is empty (an assistant turn that only called tools).
func contentText(raw json.RawMessage, field string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fieldErr(field, "not a valid JSON string: %v", err)
		}
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if raw[0] != '[' || json.Unmarshal(raw, &parts) != nil {
		return "", fieldErr(field, "want a string or an array of text parts ({\"type\": \"text\", \"text\": ...})")
	}
	var b bytes.Buffer
	for j, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", fieldErr(fmt.Sprintf("%s[%d].type", field, j), "%q parts are not served: these models read text only", p.Type)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// stopStrings reads "stop": a string or an array of strings (the chat
// service bounds how many and how long).
func stopStrings(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fieldErr("stop", "want a string or an array of strings")
	}
	return many, nil
}

// kindOf names a Go kind as JSON does.
func kindOf(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value"
	}
	return "a number"
}
