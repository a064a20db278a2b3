package openaiapi

import (
	"encoding/json"

	"github.com/whetstone-ai/whetstone/backend/chat"
)

// The wire types of OpenAI's API that this endpoint speaks: the subset of
// chat completions and models that a local model can honour. Field names
// and shapes follow https://platform.openai.com/docs/api-reference.

// ModelList answers GET /v1/models.
type ModelList struct {
	Object string  `json:"object"` // "list"
	Data   []Model `json:"data"`
}

// Model is one model a request may name.
type Model struct {
	// ID is what a request's "model" takes: "demo", a Hugging Face id, a
	// run's base model or "run:<name>" (see service.ServedModels).
	ID     string `json:"id"`
	Object string `json:"object"` // "model"
	// Created is a Unix time in seconds.
	Created int64 `json:"created"`
	// OwnedBy is the Hugging Face organisation of a hub model, else
	// "whetstone".
	OwnedBy string `json:"owned_by"`
}

// ChatCompletionRequest is the body of POST /v1/chat/completions. Fields
// this endpoint does not know are ignored, as OpenAI-compatible servers
// do, so clients that send more (user, logprobs...) still work.
type ChatCompletionRequest struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	// Temperature defaults to 1, as OpenAI's; 0 is greedy decoding.
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	// MaxTokens and MaxCompletionTokens (its newer name) bound the
	// answer; without either, the Chat screen's default applies.
	MaxTokens           *int `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	// Stop is a string or an array of up to 4 strings.
	Stop          json.RawMessage `json:"stop,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	StreamOptions *StreamOptions  `json:"stream_options,omitempty"`
	Seed          *int64          `json:"seed,omitempty"`
	// N must be 1 when given: one answer per request.
	N *int `json:"n,omitempty"`
	// FrequencyPenalty and PresencePenalty are accepted and ignored:
	// the engine's repetition penalty (below) is the one it has.
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	// TopK, MinP and RepetitionPenalty are the extensions vLLM and
	// llama.cpp's server accept too (extra_body in the Python client).
	TopK              *int     `json:"top_k,omitempty"`
	MinP              *float64 `json:"min_p,omitempty"`
	RepetitionPenalty *float64 `json:"repetition_penalty,omitempty"`
	// Weights is Whetstone's own extension: how the base model's weights
	// are kept while answering. float32 answers exactly as the model was
	// trained; bfloat16 and int8 answer a large model faster. Left out
	// (auto), the model's size decides; the answer's weights say which
	// were used.
	Weights chat.Weights `json:"weights,omitempty"`
}

// StreamOptions asks for a last chunk with the usage counts.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one turn. Content is a string or an array of text parts
// ({"type": "text", "text": "..."}).
type Message struct {
	// Role is system, user or assistant ("developer" is read as system).
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ChatCompletion answers a request without "stream".
type ChatCompletion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"` // "chat.completion"
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   Usage    `json:"usage"`
	// Weights (an extension) is how the base weights were kept.
	Weights chat.Weights `json:"weights,omitempty"`
}

// Choice is the one answer.
type Choice struct {
	Index   int             `json:"index"`
	Message ResponseMessage `json:"message"`
	// FinishReason is "stop" (the end of the turn or a stop string) or
	// "length" (max_tokens or the model's context).
	FinishReason string `json:"finish_reason"`
	Logprobs     any    `json:"logprobs"` // always null
}

// ResponseMessage is the assistant's turn.
type ResponseMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ChatCompletionChunk is one Server-Sent Event of a streamed answer.
type ChatCompletionChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"` // "chat.completion.chunk"
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []ChunkChoice `json:"choices"`
	// Usage is set on the last chunk when stream_options.include_usage.
	Usage *Usage `json:"usage,omitempty"`
	// Weights (an extension) is set on the chunk with the finish reason:
	// how the base weights were kept.
	Weights chat.Weights `json:"weights,omitempty"`
}

// ChunkChoice is a piece of the answer.
type ChunkChoice struct {
	Index int   `json:"index"`
	Delta Delta `json:"delta"`
	// FinishReason is null until the last content chunk.
	FinishReason *string `json:"finish_reason"`
	Logprobs     any     `json:"logprobs"` // always null
}

// Delta is what a chunk adds: the role first, then text.
type Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}
