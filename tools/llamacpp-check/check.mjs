// check.mjs loads GGUF files with llama.cpp (the prebuilt binaries that
// node-llama-cpp ships) and prints, as one JSON array on stdout (one object
// per model), what an independent consumer sees: the tokenization of texts
// and the raw next-token logits at every position of a prompt. Whetstone's
// Go tests compare this with their own engine; nothing here knows about
// Whetstone.
//
// Usage: node check.mjs [--texts FILE.json] [--logits-dir DIR] [--special]
//                       --model FILE [--lora FILE] [--tokens 1,2,3] [--model ...]...
//
// --texts names a JSON array of strings; each model tokenizes each of them
// without adding BOS, special tokens parsed only with --special. The
// --tokens of a model are evaluated in one sequence; the logits after each
// of them are written to DIR/<model index>.f32 as little-endian float32
// [positions][vocabulary] (JSON would be hundreds of megabytes for a 262k
// vocabulary), and the vocabulary size is printed. --lora applies a LoRA
// adapter GGUF to the context of the --model before it.
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

function parseArgs(argv) {
    const out = {special: false, models: []};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--model") out.models.push({path: argv[++i]});
        else if (a === "--texts") out.texts = JSON.parse(readFileSync(argv[++i], "utf8"));
        else if (a === "--lora") {
            if (out.models.length === 0) throw new Error("--lora must follow a --model");
            out.models[out.models.length - 1].lora = argv[++i];
        }
        else if (a === "--tokens") {
            if (out.models.length === 0) throw new Error("--tokens must follow a --model");
            out.models[out.models.length - 1].tokens = argv[++i].split(",").filter(s => s !== "").map(Number);
        }
        else if (a === "--special") out.special = true;
        else if (a === "--logits-dir") out.logitsDir = argv[++i];
        else throw new Error(`unknown argument ${a}`);
    }
    if (out.models.length === 0) throw new Error("--model is required");
    return out;
}

async function check(llama, {path, tokens, lora}, args, index) {
    const model = await llama.loadModel({modelPath: path, gpuLayers: 0});
    const result = {model: path, vocabularyType: model.vocabularyType};
    if (args.texts !== undefined) {
        result.textTokens = args.texts.map(t => Array.from(model.tokenize(t, args.special)));
    }
    if (tokens !== undefined && tokens.length > 0) {
        const n = tokens.length;
        const context = await model.createContext({contextSize: Math.max(256, n + 8), batchSize: Math.max(n, 8), threads: 2, ...(lora ? {lora} : {})});
        const sequence = context.getSequence();
        const out = await sequence.controlledEvaluate(tokens.map(t => [t, {generateNext: {logits: true}}]));
        let size = 0;
        for (const o of out) {
            if (!o || !o.next || !o.next.logits) throw new Error("missing logits");
            for (const k of o.next.logits.keys()) size = Math.max(size, k + 1);
        }
        const flat = new Float32Array(n * size).fill(NaN);
        out.forEach((o, i) => {
            for (const [k, v] of o.next.logits) flat[i * size + k] = v;
        });
        if (!args.logitsDir) throw new Error("--tokens needs --logits-dir");
        writeFileSync(join(args.logitsDir, `${index}.f32`), Buffer.from(flat.buffer));
        result.vocabSize = size;
        result.positions = n;
        await context.dispose();
    }
    await model.dispose();
    return result;
}

const args = parseArgs(process.argv.slice(2));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const results = [];
for (const [i, m] of args.models.entries()) {
    results.push(await check(llama, m, args, i));
}
process.stdout.write(JSON.stringify(results));
