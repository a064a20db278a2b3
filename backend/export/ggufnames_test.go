package export

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/whetstone-ai/whetstone/backend/model"
)

func TestGGUFTensorNames(t *testing.T) {
	gemma := &model.Config{Arch: model.Gemma3, NumLayers: 4, TieWordEmbeddings: true}
	llama := &model.Config{Arch: model.Llama, NumLayers: 4}
	qwen2 := &model.Config{Arch: model.Qwen2, NumLayers: 4, TieWordEmbeddings: true}
	for _, tc := range []struct {
		cfg  *model.Config
		hf   string
		want string
		skip bool
	}{
		{gemma, "model.embed_tokens.weight", "token_embd.weight", false},
		{gemma, "language_model.model.layers.3.post_attention_layernorm.weight", "blk.3.post_attention_norm.weight", false},
		{gemma, "model.language_model.layers.0.pre_feedforward_layernorm.weight", "blk.0.ffn_norm.weight", false},
		{gemma, "model.layers.1.post_feedforward_layernorm.weight", "blk.1.post_ffw_norm.weight", false},
		{gemma, "model.layers.1.self_attn.k_norm.weight", "blk.1.attn_k_norm.weight", false},
		{gemma, "lm_head.weight", "", true},
		{gemma, "vision_tower.vision_model.embeddings.patch_embedding.weight", "", true},
		{gemma, "multi_modal_projector.mm_input_projection_weight", "", true},
		{llama, "model.layers.2.post_attention_layernorm.weight", "blk.2.ffn_norm.weight", false},
		{llama, "model.layers.2.mlp.down_proj.weight", "blk.2.ffn_down.weight", false},
		{llama, "lm_head.weight", "output.weight", false},
		{llama, "model.norm.weight", "output_norm.weight", false},
		{qwen2, "model.layers.0.self_attn.q_proj.bias", "blk.0.attn_q.bias", false},
		{qwen2, "model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight", false},
	} {
		got, skip, err := ggufTensorName(tc.cfg, tc.hf)
		require.NoError(t, err, tc.hf)
		require.Equal(t, tc.skip, skip, tc.hf)
		require.Equal(t, tc.want, got, tc.hf)
	}
	for _, bad := range []string{"model.layers.9.mlp.up_proj.weight", "model.layers.0.mlp.experts.weight", "model.layers.x.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.scales", "transformer.h.0.attn.weight"} {
		_, _, err := ggufTensorName(llama, bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), bad)
	}
}
