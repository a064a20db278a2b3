package restapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// A DPO run over HTTP: training.method is part of the run config the API
// takes, a method the data cannot train is refused on that field, and the
// run's metrics carry DPO's reward figures under "extra". Every answer is
// checked against the OpenAPI document, which describes both.
func TestPreferenceRunOverHTTP(t *testing.T) {
	e := newEnv(t)
	cfg := e.runConfig()
	cfg.Name = "rest-dpo"
	cfg.Dataset.Path = e.demo.PairsPath
	cfg.Training.Method = runconfig.MethodDPO

	chats := cfg
	chats.Dataset.Path = e.demo.DataPath
	a := e.post("/api/v1/runs", chats)
	require.Equal(t, 422, a.status, "%s", a.body)
	bad := a.apiError(t)
	require.Equal(t, "training.method", bad.Field)
	require.Contains(t, bad.Message, "trains on preference pairs")

	a = e.post("/api/v1/runs", cfg)
	require.Equal(t, 201, a.status, "%s", a.body)
	var rec runs.Record
	a.json(t, &rec)
	end := e.follow(t, rec.ID)
	require.Equal(t, runs.Completed, end.State, end.Error)

	a = e.get("/api/v1/runs/" + rec.ID)
	require.Equal(t, 200, a.status)
	var d service.RunDetail
	a.json(t, &d)
	require.Equal(t, runconfig.MethodDPO, d.Config.Training.Method)

	a = e.get("/api/v1/runs/" + rec.ID + "/metrics")
	require.Equal(t, 200, a.status)
	var ms []runs.Metrics
	a.json(t, &ms)
	require.Len(t, ms, cfg.Training.MaxSteps)
	for _, m := range ms {
		for _, info := range train.Metrics()[runconfig.MethodDPO] {
			require.Contains(t, m.Extra, info.Name, "step %d", m.Step)
		}
	}
}
