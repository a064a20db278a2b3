package demo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// The demo tokenizer follows the shape of Gemma 3's tokenizer.json, scaled
// down: spaces are normalized to "▁", there is no pre-tokenizer, the model
// is BPE over characters with byte fallback (<0x00>…<0xFF>), and <bos> is
// prepended by the post-processor. Its merges are learned here, at demo
// creation, from the demo conversations, so the whole thing is ours and
// deterministic.

const spaceMark = "▁"

// Special tokens, with Gemma's names and in Gemma's order for the first four.
var specialTokens = []string{"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"}

// Token ids the model config must agree with.
const (
	padID       = 0
	eosID       = 1
	bosID       = 2
	endOfTurnID = 5
)

// buildTokenizerJSON learns BPE merges from corpus until the vocabulary
// holds vocabSize entries and returns tokenizer.json.
func buildTokenizerJSON(corpus []string, vocabSize int) ([]byte, error) {
	vocab := map[string]int{}
	var order []string
	add := func(tok string) {
		if _, ok := vocab[tok]; !ok {
			vocab[tok] = len(order)
			order = append(order, tok)
		}
	}
	for _, s := range specialTokens {
		add(s)
	}
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b))
	}

	// Words: runs of text split before each "▁", as Gemma's normalized
	// text reads; learning merges inside words keeps the search small.
	wordFreq := map[string]int{}
	for _, text := range corpus {
		for _, st := range specialTokens {
			text = strings.ReplaceAll(text, st, " ")
		}
		norm := strings.ReplaceAll(text, " ", spaceMark)
		start := 0
		for i := range norm {
			if strings.HasPrefix(norm[i:], spaceMark) && i > start {
				wordFreq[norm[start:i]]++
				start = i
			}
		}
		if start < len(norm) {
			wordFreq[norm[start:]]++
		}
	}
	words := make([]string, 0, len(wordFreq))
	for w := range wordFreq {
		words = append(words, w)
	}
	sort.Strings(words)

	// Every character seen becomes a base symbol (rarest last, so the
	// vocabulary limit drops rare characters to byte fallback first).
	charFreq := map[string]int{}
	for _, w := range words {
		for _, r := range w {
			charFreq[string(r)] += wordFreq[w]
		}
	}
	chars := make([]string, 0, len(charFreq))
	for c := range charFreq {
		chars = append(chars, c)
	}
	sort.Slice(chars, func(i, j int) bool {
		if charFreq[chars[i]] != charFreq[chars[j]] {
			return charFreq[chars[i]] > charFreq[chars[j]]
		}
		return chars[i] < chars[j]
	})
	for _, c := range chars {
		if len(order) >= vocabSize {
			break
		}
		add(c)
	}

	// Split words into symbols.
	split := make([][]string, len(words))
	for i, w := range words {
		for len(w) > 0 {
			_, n := utf8.DecodeRuneInString(w)
			split[i] = append(split[i], w[:n])
			w = w[n:]
		}
	}
	var merges [][2]string
	for len(order) < vocabSize {
		pairs := map[[2]string]int{}
		for i, syms := range split {
			for j := 0; j+1 < len(syms); j++ {
				if _, ok := vocab[syms[j]]; !ok {
					continue
				}
				if _, ok := vocab[syms[j+1]]; !ok {
					continue
				}
				pairs[[2]string{syms[j], syms[j+1]}] += wordFreq[words[i]]
			}
		}
		// The most frequent pair wins; ties go to the smaller pair so the
		// result never depends on map order.
		var best [2]string
		bestN := 0
		for p, n := range pairs {
			if n > bestN || n == bestN && p[0]+"\x00"+p[1] < best[0]+"\x00"+best[1] {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break
		}
		merged := best[0] + best[1]
		merges = append(merges, best)
		add(merged)
		for i, syms := range split {
			out := syms[:0:0]
			for j := 0; j < len(syms); j++ {
				if j+1 < len(syms) && syms[j] == best[0] && syms[j+1] == best[1] {
					out = append(out, merged)
					j++
					continue
				}
				out = append(out, syms[j])
			}
			split[i] = out
		}
	}

	added := make([]map[string]any, len(specialTokens))
	for i, s := range specialTokens {
		added[i] = map[string]any{"id": i, "content": s, "single_word": false, "lstrip": false, "rstrip": false,
			"normalized": false, "special": true}
	}
	mergeStrs := make([][]string, len(merges))
	for i, m := range merges {
		mergeStrs[i] = []string{m[0], m[1]}
	}
	doc := map[string]any{
		"version":       "1.0",
		"truncation":    nil,
		"padding":       nil,
		"added_tokens":  added,
		"normalizer":    map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": spaceMark},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"pair": []any{map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 1}}, map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}}},
			"special_tokens": map[string]any{"<bos>": map[string]any{"id": "<bos>", "ids": []int{bosID}, "tokens": []string{"<bos>"}}},
		},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": spaceMark}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
		}},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": "<unk>", "continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
			"vocab": vocab, "merges": mergeStrs,
		},
	}
	return json.MarshalIndent(doc, "", " ")
}

// chatTemplate renders conversations the way Gemma 3's template does
// (system text folded into the first user turn, "model" as the assistant
// role, <end_of_turn> after each turn), written for the demo.
const chatTemplate = `{{ bos_token }}
{%- if messages and messages[0]['role'] == 'system' -%}
  {%- set lead = messages[0]['content'] | trim + '\n\n' -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set lead = '' -%}
  {%- set turns = messages -%}
{%- endif -%}
{%- for m in turns -%}
  {%- if (m['role'] == 'user') != (loop.index0 % 2 == 0) -%}
    {{ raise_exception('Turns must alternate between user and assistant, starting with user.') }}
  {%- endif -%}
  {%- if m['role'] == 'assistant' -%}{%- set who = 'model' -%}{%- else -%}{%- set who = m['role'] -%}{%- endif -%}
  {{ '<start_of_turn>' + who + '\n' + (lead if loop.first else '') + m['content'] | trim + '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}`

func tokenizerConfigJSON() ([]byte, error) {
	decl := map[string]any{}
	for i, s := range specialTokens {
		decl[fmt.Sprint(i)] = map[string]any{"content": s, "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
	}
	return json.MarshalIndent(map[string]any{
		"added_tokens_decoder": decl,
		"bos_token":            "<bos>",
		"eos_token":            "<eos>",
		"pad_token":            "<pad>",
		"unk_token":            "<unk>",
		"add_bos_token":        true,
		"add_eos_token":        false,
		"chat_template":        chatTemplate,
		"model_max_length":     2048,
		"tokenizer_class":      "GemmaTokenizer",
	}, "", " ")
}
