package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTextModelNamesRoundTrip(t *testing.T) {
	for nested, canonical := range map[string]string{
		"language_model.model.layers.3.mlp.up_proj.weight": "model.layers.3.mlp.up_proj.weight",
		"model.language_model.embed_tokens.weight":         "model.embed_tokens.weight",
		"language_model.lm_head.weight":                    "lm_head.weight",
		"model.norm.weight":                                "model.norm.weight",
		"vision_tower.encoder.weight":                      "vision_tower.encoder.weight",
	} {
		assert.Equal(t, canonical, TextModelName(nested), nested)
		assert.Contains(t, CheckpointNames(canonical), nested, canonical)
	}
	assert.Equal(t, "model.x", CheckpointNames("model.x")[0], "the canonical name is tried first")
}
