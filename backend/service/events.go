package service

import (
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// EventPayloads maps every topic the services publish on to a value of its
// payload type: with the methods of Named, the whole surface the UI sees,
// and what the generated contract (frontend/src/lib/generated/contract.ts)
// describes.
func EventPayloads() map[string]any {
	return map[string]any{
		hub.ProgressTopic:    hub.Progress{},
		export.ProgressTopic: export.Progress{},
		ChatTopic:            ChatToken{},
		SettingsTopic:        SettingsView{},
		runs.TopicState:      runs.StateEvent{},
		runs.TopicMetrics:    runs.MetricsEvent{},
		runs.TopicLog:        runs.LogEvent{},
		PrepTopic:            PrepEvent{},
	}
}

//go:generate go run ../../tools/contractgen -out ../../frontend/src/lib/generated/contract.ts

// The REST API's OpenAPI document describes these types too.
//go:generate go run ../restapi/gen.go
