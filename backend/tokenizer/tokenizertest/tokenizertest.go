// Package tokenizertest writes tiny but complete tokenizer folders for tests
// in any package (tokenizer, chattemplate, dataset, cli): real tokenizer.json
// structures with a handful of merges, so tests need no downloaded model.
package tokenizertest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ChatMLTemplate is a minimal ChatML chat template (Qwen style).
const ChatMLTemplate = "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"

// GemmaLikeTemplate is a minimal Gemma-style template with BOS and trimming.
const GemmaLikeTemplate = "{{ bos_token }}{%- for message in messages -%}{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}{{ '<start_of_turn>' + role + '\\n' + (message['content'] | trim) + '<end_of_turn>\\n' }}{%- endfor -%}{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"

// byteRunes spells bytes the GPT-2 way (printable Latin-1 as itself, the
// rest from U+0100), written out here independently of the tokenizer.
func byteRunes() []string {
	out := make([]string, 256)
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// ByteLevel writes a byte-level BPE tokenizer (Llama 3 pre-tokenizer) into
// dir: ids 0-255 are the bytes, then the merge results, then the added tokens
// <|im_start|>, <|im_end|> (special) and <think> (not special).
func ByteLevel(t testing.TB, dir string) {
	t.Helper()
	vocab := map[string]int{}
	for b, r := range byteRunes() {
		vocab[r] = b
	}
	merges := [][2]string{{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"}, {"l", "d"}, {"Ġwor", "ld"}, {"Ġ", "Ġ"}}
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
	}
	next := len(vocab)
	added := []map[string]any{
		addedTok(next, "<|im_start|>", true),
		addedTok(next+1, "<|im_end|>", true),
		addedTok(next+2, "<think>", false),
	}
	pattern := `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	tj := map[string]any{
		"version":      "1.0",
		"added_tokens": added,
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": pattern}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"post_processor": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": joinMerges(merges), "ignore_merges": true,
			"dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false},
	}
	cfg := map[string]any{
		"chat_template":                ChatMLTemplate,
		"eos_token":                    "<|im_end|>",
		"pad_token":                    "<|im_end|>",
		"bos_token":                    nil,
		"clean_up_tokenization_spaces": false,
		"additional_special_tokens":    []string{"<|im_start|>", "<|im_end|>"},
	}
	write(t, dir, tj, cfg)
}

// SentencePiece writes a Gemma-style BPE tokenizer into dir: spaces become
// "▁", unknown characters fall back to <0xXX> byte tokens, and the
// post-processor adds <bos>. Ids: <pad> 0, <eos> 1, <bos> 2, <unk> 3, bytes
// 4-259, then "▁", letters and merge results; <start_of_turn> and
// <end_of_turn> are special added tokens.
func SentencePiece(t testing.TB, dir string) {
	t.Helper()
	vocab := map[string]int{"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
	for b := 0; b < 256; b++ {
		vocab[fmt.Sprintf("<0x%02X>", b)] = 4 + b
	}
	for _, s := range []string{"▁", "h", "e", "l", "o", "w", "r", "d", "\n", "m", "u", "s", "t", "a", "i", "n", "g", "f", "y"} {
		vocab[s] = len(vocab)
	}
	merges := [][2]string{{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"▁", "w"}, {"o", "r"}, {"▁w", "or"}, {"l", "d"}, {"▁wor", "ld"}, {"▁", "▁"}}
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
	}
	sot, eot := len(vocab), len(vocab)+1
	added := []map[string]any{
		addedTok(0, "<pad>", true), addedTok(1, "<eos>", true), addedTok(2, "<bos>", true), addedTok(3, "<unk>", true),
		addedTok(sot, "<start_of_turn>", true), addedTok(eot, "<end_of_turn>", true),
	}
	vocab["<start_of_turn>"], vocab["<end_of_turn>"] = sot, eot
	tj := map[string]any{
		"version":       "1.0",
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{"String": " "}, "behavior": "MergedWithPrevious", "invert": false},
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair":           []any{},
			"special_tokens": map[string]any{"<bos>": map[string]any{"id": "<bos>", "ids": []int{2}, "tokens": []string{"<bos>"}}}},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
		}},
		"model": map[string]any{"type": "BPE", "vocab": vocab, "merges": merges, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
			"dropout": nil, "continuing_subword_prefix": nil, "end_of_word_suffix": nil, "ignore_merges": false},
	}
	cfg := map[string]any{
		"chat_template":                GemmaLikeTemplate,
		"bos_token":                    "<bos>",
		"eos_token":                    "<end_of_turn>",
		"pad_token":                    "<pad>",
		"unk_token":                    "<unk>",
		"clean_up_tokenization_spaces": false,
	}
	write(t, dir, tj, cfg)
}

func addedTok(id int, content string, special bool) map[string]any {
	return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": special}
}

func joinMerges(m [][2]string) []string {
	out := make([]string, len(m))
	for i, p := range m {
		out[i] = p[0] + " " + p[1]
	}
	return out
}

func write(t testing.TB, dir string, tj, cfg map[string]any) {
	t.Helper()
	for name, v := range map[string]any{"tokenizer.json": tj, "tokenizer_config.json": cfg} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
