package restapi

import (
	"github.com/whetstone-ai/whetstone/backend/openaiapi"
)

// openAIRoutes describe the OpenAI-compatible endpoint (backend/openaiapi,
// which serves it) in the same document, so one place lists everything a
// program can call. The handlers are openaiapi's, mounted by serve.
func openAIRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/models", Tag: "openai", Summary: "The models a chat completion may name (OpenAI-compatible)",
			Status: 200, Result: openaiapi.ModelList{}},
		{Method: "GET", Path: "/v1/models/{id...}", Tag: "openai", Summary: "One model a chat completion may name (OpenAI-compatible)",
			Description: "{id} may hold slashes (a Hugging Face id).",
			Status:      200, Result: openaiapi.Model{}, Errors: []int{404}},
		{Method: "POST", Path: "/v1/chat/completions", Tag: "openai", Summary: "Chat with a base model or a run's adapter (OpenAI-compatible)",
			Description: "Without `stream`, the answer is one ChatCompletion. With `\"stream\": true` it is Server-Sent Events whose `data:` lines are ChatCompletionChunk objects, then `data: [DONE]`.",
			Body:        openaiapi.ChatCompletionRequest{}, Status: 200, Result: openaiapi.ChatCompletion{},
			ResultType: "text/event-stream", Events: map[string]any{"(data)": openaiapi.ChatCompletionChunk{}},
			Errors: []int{400, 404, 422}},
	}
}
