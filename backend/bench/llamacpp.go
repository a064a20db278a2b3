package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/whetstone-ai/whetstone/backend/accel"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// LlamaCpp locates llama.cpp for the side-by-side decode: its own
// benchmark tool, llama-bench (tools/llamacpp-check/build-llama-bench.sh
// builds it from the llama.cpp release node-llama-cpp ships), or
// node-llama-cpp's prebuilt binaries driven from Node.js. llama-bench is
// the figure to quote: through Node, with 2 threads on a 2-core Xeon, the
// same file decoded 10-35 % slower than under llama-bench
// (backend/bench/README.md, "tenth pass").
type LlamaCpp struct {
	// Path is the llama-bench executable, or a folder whose node_modules
	// holds node-llama-cpp (tools/llamacpp-check after `npm install
	// --ignore-scripts` there).
	Path string
	// Node is the Node.js executable, for a node-llama-cpp folder.
	Node string
}

// LlamaCppGenerate is llama.cpp decoding one storage's weights as GGUF.
type LlamaCppGenerate struct {
	// Quant is the GGUF tensor type (GenerateStorages' LlamaCpp).
	Quant      string  `json:"quant"`
	TokensPerS float64 `json:"tokens_per_s"`
	// PrefillMS is the prompt's processing time: llama-bench's prompt
	// test, or the time to the first new token through Node.
	PrefillMS float64 `json:"prefill_ms"`
	FileMB    float64 `json:"file_mb"`
	// WhetstoneTokensPerS and WhetstonePrefillMS are ours on the same base
	// weights in the same storage, without the adapters that
	// GenerateResult.ByStorage carries, timed just before llama.cpp.
	WhetstoneTokensPerS float64 `json:"whetstone_tokens_per_s"`
	WhetstonePrefillMS  float64 `json:"whetstone_prefill_ms"`
	// Ratio is WhetstoneTokensPerS over llama.cpp's TokensPerS.
	Ratio float64 `json:"ratio"`
}

// llamaRun is one timing of a GGUF: decode tokens/s after the prompt and
// the prompt's time; through Node also the decode's CPU seconds and its
// first tokens.
type llamaRun struct {
	TokensPerS  float64 `json:"tokens_per_s"`
	FirstTokenS float64 `json:"first_token_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	First       []int   `json:"first"`
}

// llamaBenchRepetitions is llama-bench's -r: each test's mean of three.
const llamaBenchRepetitions = 3

// llamaDecodeScript times greedy decoding with node-llama-cpp, after one
// untimed run of the same lengths, as timeGenerate does. Arguments: the
// module's URL, the GGUF, the comma-separated prompt ids, the number of new
// tokens and the thread count. It prints a llamaRun: the decode measured
// from the first new token, and the time to that token.
const llamaDecodeScript = `
const [lib, path, promptArg, nArg, threadsArg] = process.argv.slice(2);
const {getLlama, LlamaLogLevel} = await import(lib);
const prompt = promptArg.split(",").map(Number), n = Number(nArg), threads = Number(threadsArg);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: path, gpuLayers: 0});
async function run() {
  const context = await model.createContext({contextSize: Math.max(512, prompt.length + n + 8), batchSize: 512, threads});
  const seq = context.getSequence();
  const toks = [];
  let t0, c0, ttft;
  const began = process.hrtime.bigint();
  for await (const tok of seq.evaluate(prompt, {temperature: 0})) {
    if (toks.length === 0) { t0 = process.hrtime.bigint(); c0 = process.cpuUsage(); ttft = Number(t0 - began) / 1e9; }
    toks.push(tok);
    if (toks.length >= n) break;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  await context.dispose();
  if (toks.length < 2) throw new Error("llama.cpp produced " + toks.length + " tokens");
  return {tokens_per_s: (toks.length - 1) / secs, cpu_seconds: (cu.user + cu.system) / 1e6, first_token_seconds: ttft, first: toks.slice(0, 8)};
}
await run();
process.stdout.write(JSON.stringify(await run()));
`

// node reports whether Path is a node-llama-cpp folder rather than a
// llama-bench executable.
func (l LlamaCpp) node() (bool, error) {
	st, err := os.Stat(l.Path)
	if err != nil {
		return false, fmt.Errorf("bench: llama.cpp: %w (want llama-bench, built by tools/llamacpp-check/build-llama-bench.sh, or tools/llamacpp-check after `npm install --ignore-scripts` there)", err)
	}
	if st.IsDir() {
		return true, nil
	}
	if st.Mode()&0o111 == 0 {
		return false, fmt.Errorf("bench: llama.cpp: %s is not executable (want llama-bench or a node-llama-cpp folder)", l.Path)
	}
	return false, nil
}

// Check says whether llama.cpp is where Path says, before a long run
// needs it.
func (l LlamaCpp) Check() error {
	viaNode, err := l.node()
	if err != nil || !viaNode {
		return err
	}
	_, err = l.lib()
	return err
}

// lib is node-llama-cpp's entry module, checked to exist.
func (l LlamaCpp) lib() (string, error) {
	lib, err := filepath.Abs(filepath.Join(l.Path, "node_modules", "node-llama-cpp", "dist", "index.js"))
	if err != nil {
		return "", fmt.Errorf("bench: llama.cpp: %w", err)
	}
	if _, err := os.Stat(lib); err != nil {
		return "", fmt.Errorf("bench: llama.cpp: node-llama-cpp is not installed in %s (run `npm install --ignore-scripts` there): %w", l.Path, err)
	}
	return lib, nil
}

// Engine names the llama.cpp build: llama-bench's version line, or
// node-llama-cpp's version.
func (l LlamaCpp) Engine(ctx context.Context) string {
	if viaNode, err := l.node(); err == nil && !viaNode {
		out, _ := exec.CommandContext(ctx, l.Path, "--version").CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "version: "); ok {
				return "llama.cpp llama-bench " + v
			}
		}
		return "llama.cpp llama-bench"
	}
	data, err := os.ReadFile(filepath.Join(l.Path, "node_modules", "node-llama-cpp", "package.json"))
	var pkg struct {
		Version string `json:"version"`
	}
	if err != nil || json.Unmarshal(data, &pkg) != nil || pkg.Version == "" {
		return "llama.cpp (node-llama-cpp)"
	}
	return "llama.cpp (node-llama-cpp " + pkg.Version + ")"
}

// time times a GGUF decoding n tokens after prompt with GOMAXPROCS
// threads, the cores our backend uses; dir takes the Node script.
func (l LlamaCpp) time(ctx context.Context, dir, gguf string, prompt []int32, n int) (llamaRun, error) {
	viaNode, err := l.node()
	if err != nil {
		return llamaRun{}, err
	}
	if viaNode {
		return l.decodeNode(ctx, dir, gguf, prompt, n)
	}
	return l.bench(ctx, gguf, len(prompt), n)
}

// bench runs llama-bench twice: the prompt test, then n new tokens after a
// context of the prompt's length (-d), as our decode follows its prompt.
// llama-bench evaluates tokens without sampling them.
func (l LlamaCpp) bench(ctx context.Context, gguf string, prompt, n int) (llamaRun, error) {
	threads := strconv.Itoa(runtime.GOMAXPROCS(0))
	reps := strconv.Itoa(llamaBenchRepetitions)
	pp, err := l.benchTest(ctx, gguf, "-t", threads, "-r", reps, "-p", strconv.Itoa(prompt), "-n", "0")
	if err != nil {
		return llamaRun{}, err
	}
	tg, err := l.benchTest(ctx, gguf, "-t", threads, "-r", reps, "-p", "0", "-n", strconv.Itoa(n), "-d", strconv.Itoa(prompt))
	if err != nil {
		return llamaRun{}, err
	}
	return llamaRun{TokensPerS: tg, FirstTokenS: float64(prompt) / pp}, nil
}

// benchTest runs llama-bench with one test and returns its mean tokens/s.
func (l LlamaCpp) benchTest(ctx context.Context, gguf string, args ...string) (float64, error) {
	args = append([]string{"-m", gguf, "-o", "json"}, args...)
	cmd := exec.CommandContext(ctx, l.Path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("bench: %s %s: %w: %s", l.Path, strings.Join(args, " "), err, lastLines(errb.String(), 5))
	}
	var tests []struct {
		AvgTS float64 `json:"avg_ts"`
	}
	if err := json.Unmarshal(out.Bytes(), &tests); err != nil {
		return 0, fmt.Errorf("bench: reading llama-bench's output %.200q: %w", out.String(), err)
	}
	if len(tests) != 1 || tests[0].AvgTS <= 0 {
		return 0, fmt.Errorf("bench: llama-bench %s: want one test with a positive rate, got %.300q", strings.Join(args, " "), out.String())
	}
	return tests[0].AvgTS, nil
}

// decodeNode runs llamaDecodeScript with node-llama-cpp.
func (l LlamaCpp) decodeNode(ctx context.Context, dir, gguf string, prompt []int32, n int) (llamaRun, error) {
	lib, err := l.lib()
	if err != nil {
		return llamaRun{}, err
	}
	script, err := writeScript(dir)
	if err != nil {
		return llamaRun{}, err
	}
	ids := make([]string, len(prompt))
	for i, p := range prompt {
		ids[i] = strconv.Itoa(int(p))
	}
	cmd := exec.CommandContext(ctx, l.Node, script, "file://"+lib, gguf, strings.Join(ids, ","), strconv.Itoa(n), strconv.Itoa(runtime.GOMAXPROCS(0)))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return llamaRun{}, fmt.Errorf("bench: llama.cpp decode of %s: %w: %s", gguf, err, lastLines(errb.String(), 5))
	}
	var r llamaRun
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return llamaRun{}, fmt.Errorf("bench: llama.cpp decode of %s: reading its output %.200q: %w", gguf, out.String(), err)
	}
	if r.TokensPerS <= 0 {
		return llamaRun{}, fmt.Errorf("bench: llama.cpp decode of %s: no decode rate in %.200q", gguf, out.String())
	}
	return r, nil
}

// writeScript writes llamaDecodeScript into dir and returns its path.
func writeScript(dir string) (string, error) {
	p := filepath.Join(dir, "decode.mjs")
	if err := os.WriteFile(p, []byte(llamaDecodeScript), 0o644); err != nil {
		return "", fmt.Errorf("bench: llama.cpp: %w", err)
	}
	return p, nil
}

// MeasureLlamaCpp times llama.cpp decoding the base weights of res's
// configuration (the seed's, as Run's generation uses, without its
// adapters) exported to GGUF in each storage res.Generate measured:
// float32 as f32, bfloat16 as bf16, int8 as q8_0; and, just before each,
// our generation of the same base weights on backend (accel's name, as
// Options.Backend). The prompt and the number of new tokens are
// timeGenerate's. It fills res.Generate.LlamaCpp.
func MeasureLlamaCpp(ctx context.Context, res *Result, l LlamaCpp, backend string) error {
	g := res.Generate
	if g == nil {
		return errors.New("bench: llama.cpp: the generation was not measured (drop --no-generate)")
	}
	if err := l.Check(); err != nil {
		return err
	}
	c := res.Config
	tmp, err := os.MkdirTemp("", "whetstone-bench-llamacpp-")
	if err != nil {
		return fmt.Errorf("bench: llama.cpp: %w", err)
	}
	defer os.RemoveAll(tmp)
	mc, err := c.ModelConfig()
	if err != nil {
		return err
	}
	// One backend builds the checkpoint and runs our side.
	be, _, err := accel.Open(accel.Options{Backend: backend})
	if err != nil {
		return fmt.Errorf("bench: llama.cpp: %w", err)
	}
	defer be.Finalize()
	base := filepath.Join(tmp, "base")
	if err := saveBase(c, mc, be, base); err != nil {
		return err
	}
	g.LlamaCppEngine = l.Engine(ctx)
	res.Notes = append(res.Notes, fmt.Sprintf("generate.llama_cpp compares llama.cpp and Whetstone on the base weights alone; generate.by_storage carries the rank-%d adapters on every projection, as the Playground answers with a run's adapter", c.Rank))
	g.LlamaCpp = map[string]*LlamaCppGenerate{}
	for _, st := range GenerateStorages {
		if g.ByStorage[st.Name] == nil {
			continue
		}
		out := filepath.Join(tmp, "gguf-"+st.LlamaCpp)
		ex, err := export.Run(ctx, export.Request{Format: export.FormatGGUF, BaseDir: base, OutDir: out, Quant: st.LlamaCpp, Name: c.Name})
		if err != nil {
			return fmt.Errorf("bench: llama.cpp: %s GGUF export of %s: %w", st.LlamaCpp, c.Name, err)
		}
		gguf, size, err := ggufFile(ex)
		if err != nil {
			return err
		}
		releaseMemory()
		m, err := model.NewRandom(mc, benchSeed, model.Options{Backend: be, StorageDType: st.DType})
		if err != nil {
			return fmt.Errorf("bench: llama.cpp: %s base model: %w", st.Name, err)
		}
		w, err := timeGenerate(ctx, c, m)
		m.Close()
		if err != nil {
			return fmt.Errorf("bench: %s base weights: %w", st.Name, err)
		}
		releaseMemory()
		r, err := l.time(ctx, tmp, gguf, benchPrompt(c), genNew)
		if err != nil {
			return err
		}
		lg := &LlamaCppGenerate{Quant: st.LlamaCpp, TokensPerS: r.TokensPerS, PrefillMS: 1000 * r.FirstTokenS, FileMB: mib(size),
			WhetstoneTokensPerS: w.TokensPerS, WhetstonePrefillMS: w.PrefillMS}
		lg.Ratio = lg.WhetstoneTokensPerS / lg.TokensPerS
		g.LlamaCpp[st.Name] = lg
		// One GGUF on disk at a time: gemma3-1b's f32 file is 4 GB.
		if err := os.RemoveAll(out); err != nil {
			return fmt.Errorf("bench: llama.cpp: %w", err)
		}
	}
	return nil
}

// ggufFile is the .gguf file an export wrote, and its size.
func ggufFile(ex export.Result) (string, int64, error) {
	for _, f := range ex.Files {
		if strings.HasSuffix(f, ".gguf") {
			p := filepath.Join(ex.OutDir, f)
			st, err := os.Stat(p)
			if err != nil {
				return "", 0, fmt.Errorf("bench: llama.cpp: %w", err)
			}
			return p, st.Size(), nil
		}
	}
	return "", 0, fmt.Errorf("bench: llama.cpp: the export to %s wrote no .gguf file (%v)", ex.OutDir, ex.Files)
}

// saveBase writes c's base model (mc with random weights from the bench
// seed, in the trained model's storage, built on be) with a tokenizer as a
// checkpoint in dir.
func saveBase(c Config, mc *model.Config, be compute.Backend, dir string) error {
	storage, err := c.StorageDType()
	if err != nil {
		return err
	}
	m, err := model.NewRandom(mc, benchSeed, model.Options{Backend: be, StorageDType: storage})
	if err != nil {
		return fmt.Errorf("bench: llama.cpp: %w", err)
	}
	err = m.SaveCheckpoint(dir)
	m.Close()
	if err != nil {
		return fmt.Errorf("bench: llama.cpp: saving %s: %w", c.Name, err)
	}
	return writeFillerTokenizer(dir)
}

// writeFillerTokenizer writes a SentencePiece-style byte-fallback
// vocabulary: the four specials of Gemma's ids (pad 0, eos 1, bos 2, unk
// 3), the 256 byte tokens llama.cpp requires and "▁". The GGUF export pads
// it to the embedding's rows with unused tokens. The vocabulary's text does
// not enter a decode of token ids, so every configuration, the small ones
// too, gets the same one and needs no tokenizer of its own size.
func writeFillerTokenizer(dir string) error {
	specials := []string{"<pad>", "<eos>", "<bos>", "<unk>"}
	vocab := map[string]int{}
	added := make([]map[string]any, len(specials))
	for id, s := range specials {
		vocab[s] = id
		added[id] = map[string]any{"id": id, "content": s, "special": true}
	}
	for b := range 256 {
		vocab[fmt.Sprintf("<0x%02X>", b)] = len(specials) + b
	}
	vocab["\u2581"] = len(vocab)
	files := map[string]any{
		"tokenizer.json": map[string]any{
			"added_tokens": added,
			"normalizer":   map[string]any{"type": "Replace", "pattern": map[string]string{"String": " "}, "content": "\u2581"},
			"model":        map[string]any{"type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "vocab": vocab, "merges": []string{}},
		},
		"tokenizer_config.json": map[string]any{"add_bos_token": true, "pad_token": "<pad>", "eos_token": "<eos>", "bos_token": "<bos>", "unk_token": "<unk>"},
	}
	for name, v := range files {
		if err := safefile.WriteJSON(filepath.Join(dir, name), v); err != nil {
			return fmt.Errorf("bench: llama.cpp: %w", err)
		}
	}
	return nil
}
