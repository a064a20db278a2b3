// Package catalog is the curated list of base models Whetstone recommends
// to a newcomer: small instruction-tuned models it loads and trains, with
// what a user wants to know before a download (size, context, licence and
// whether the hub asks for a token). It is data, the one copy: the Models
// screen reads it through service.Models.Catalog and `whetstone models
// catalog` prints it.
package catalog

import "slices"

// Model is one catalogue entry. Sizes are approximate: they come from the
// hub's model pages (bf16 safetensors) and change only when a repository
// is re-uploaded, which is why they are not fetched at run time (the
// catalogue must show without a network).
type Model struct {
	// ID is the hub id, org/name.
	ID string `json:"id"`
	// Title is a short display name, e.g. "Gemma 3 1B Instruct".
	Title string `json:"title"`
	// Family is the preset family runs of this model use (runconfig).
	Family string `json:"family"`
	// Params is the parameter count as config.json gives it, embeddings
	// included.
	Params int64 `json:"params"`
	// ContextLength is config.json's max_position_embeddings.
	ContextLength int `json:"context_length"`
	// DownloadBytes is the approximate size of what Whetstone downloads
	// (weights, config and tokenizer).
	DownloadBytes int64 `json:"download_bytes"`
	// License names the model's licence; LicenseURL is where to read it.
	License    string `json:"license"`
	LicenseURL string `json:"license_url"`
	// Gated is true when the hub serves the files only to a signed-in user
	// who accepted the licence on the model's page; GatedNote says what to
	// do, empty when not gated.
	Gated     bool   `json:"gated"`
	GatedNote string `json:"gated_note"`
	// Note is a line about when to choose this model.
	Note string `json:"note"`
}

// PageURL is the model's page on the hub.
func (m Model) PageURL() string { return "https://huggingface.co/" + m.ID }

// Sizes are in decimal units, as the hub shows them.
const (
	mb = int64(1e6)
	gb = int64(1e9)
)

const gatedNote = "gated: accept the licence on the model's hub page while signed in, then save a hub token (Settings, or HF_TOKEN) before downloading"

// models is the catalogue, smallest first within each family.
var models = []Model{
	{ID: "google/gemma-3-270m-it", Title: "Gemma 3 270M Instruct", Family: "gemma3", Params: 268_098_176, ContextLength: 32_768, DownloadBytes: 550 * mb,
		License: "Gemma Terms of Use", LicenseURL: "https://ai.google.dev/gemma/terms", Gated: true, GatedNote: gatedNote,
		Note: "the smallest; trains on a laptop CPU in minutes, good for a first run"},
	{ID: "google/gemma-3-1b-it", Title: "Gemma 3 1B Instruct", Family: "gemma3", Params: 999_885_952, ContextLength: 32_768, DownloadBytes: 2 * gb,
		License: "Gemma Terms of Use", LicenseURL: "https://ai.google.dev/gemma/terms", Gated: true, GatedNote: gatedNote,
		Note: "a useful chat model that still fits 16 GB with LoRA"},
	{ID: "google/gemma-3-4b-it", Title: "Gemma 3 4B Instruct", Family: "gemma3", Params: 4_300_079_472, ContextLength: 131_072, DownloadBytes: 8_600 * mb,
		License: "Gemma Terms of Use", LicenseURL: "https://ai.google.dev/gemma/terms", Gated: true, GatedNote: gatedNote,
		Note: "multimodal checkpoint; Whetstone trains its text model; wants a GPU"},
	{ID: "meta-llama/Llama-3.2-1B-Instruct", Title: "Llama 3.2 1B Instruct", Family: "llama3", Params: 1_235_814_400, ContextLength: 131_072, DownloadBytes: 2_500 * mb,
		License: "Llama 3.2 Community License", LicenseURL: "https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/blob/main/LICENSE.txt", Gated: true, GatedNote: gatedNote,
		Note: "small Llama with a long context"},
	{ID: "meta-llama/Llama-3.2-3B-Instruct", Title: "Llama 3.2 3B Instruct", Family: "llama3", Params: 3_212_749_824, ContextLength: 131_072, DownloadBytes: 6_500 * mb,
		License: "Llama 3.2 Community License", LicenseURL: "https://huggingface.co/meta-llama/Llama-3.2-3B-Instruct/blob/main/LICENSE.txt", Gated: true, GatedNote: gatedNote,
		Note: "stronger Llama; wants a GPU or a lot of patience"},
	{ID: "Qwen/Qwen2.5-0.5B-Instruct", Title: "Qwen 2.5 0.5B Instruct", Family: "qwen3", Params: 494_032_768, ContextLength: 32_768, DownloadBytes: 1_000 * mb,
		License: "Apache 2.0", LicenseURL: "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct/blob/main/LICENSE",
		Note: "no token needed; a quick start on a CPU"},
	{ID: "Qwen/Qwen2.5-1.5B-Instruct", Title: "Qwen 2.5 1.5B Instruct", Family: "qwen3", Params: 1_543_714_304, ContextLength: 32_768, DownloadBytes: 3_100 * mb,
		License: "Apache 2.0", LicenseURL: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/LICENSE",
		Note: "no token needed"},
	{ID: "Qwen/Qwen2.5-3B-Instruct", Title: "Qwen 2.5 3B Instruct", Family: "qwen3", Params: 3_085_938_688, ContextLength: 32_768, DownloadBytes: 6_200 * mb,
		License: "Qwen Research License (non-commercial)", LicenseURL: "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/LICENSE",
		Note: "no token needed; its licence does not allow commercial use"},
	{ID: "Qwen/Qwen3-0.6B", Title: "Qwen 3 0.6B", Family: "qwen3", Params: 751_632_384, ContextLength: 40_960, DownloadBytes: 1_500 * mb,
		License: "Apache 2.0", LicenseURL: "https://huggingface.co/Qwen/Qwen3-0.6B/blob/main/LICENSE",
		Note: "no token needed; hybrid thinking model"},
	{ID: "Qwen/Qwen3-1.7B", Title: "Qwen 3 1.7B", Family: "qwen3", Params: 2_031_739_904, ContextLength: 40_960, DownloadBytes: 4_100 * mb,
		License: "Apache 2.0", LicenseURL: "https://huggingface.co/Qwen/Qwen3-1.7B/blob/main/LICENSE",
		Note: "no token needed; hybrid thinking model"},
	{ID: "Qwen/Qwen3-4B", Title: "Qwen 3 4B", Family: "qwen3", Params: 4_022_468_096, ContextLength: 40_960, DownloadBytes: 8_100 * mb,
		License: "Apache 2.0", LicenseURL: "https://huggingface.co/Qwen/Qwen3-4B/blob/main/LICENSE",
		Note: "no token needed; wants a GPU"},
}

// Models returns the catalogue, a copy the caller may change.
func Models() []Model { return slices.Clone(models) }

// Lookup finds an entry by hub id (exact, as the hub spells it).
func Lookup(id string) (Model, bool) {
	i := slices.IndexFunc(models, func(m Model) bool { return m.ID == id })
	if i < 0 {
		return Model{}, false
	}
	return models[i], true
}
