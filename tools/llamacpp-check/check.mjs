// check.mjs loads a GGUF with llama.cpp (the prebuilt binaries that
// node-llama-cpp ships) and prints, as one JSON object on stdout, what an
// independent consumer sees: the tokenization of a text and the raw
// next-token logits at every position of a prompt. Whetstone's Go tests
// compare this with their own engine; nothing here knows about Whetstone.
//
// Usage: node check.mjs --model FILE [--texts FILE.json] [--tokens 1,2,3] [--special]
//
// --texts names a JSON array of strings; each is tokenized without adding
// BOS (special tokens parsed only with --special). --tokens are evaluated
// in one sequence and the logits after each of them are printed.
import {readFileSync} from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

function parseArgs(argv) {
    const out = {special: false};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--model") out.model = argv[++i];
        else if (a === "--texts") out.texts = JSON.parse(readFileSync(argv[++i], "utf8"));
        else if (a === "--tokens") out.tokens = argv[++i].split(",").filter(s => s !== "").map(Number);
        else if (a === "--special") out.special = true;
        else throw new Error(`unknown argument ${a}`);
    }
    if (!out.model) throw new Error("--model is required");
    return out;
}

const args = parseArgs(process.argv.slice(2));
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: args.model, gpuLayers: 0});
const result = {vocabularyType: model.vocabularyType};

if (args.texts !== undefined) {
    result.textTokens = args.texts.map(t => Array.from(model.tokenize(t, args.special)));
}

if (args.tokens !== undefined && args.tokens.length > 0) {
    const n = args.tokens.length;
    const context = await model.createContext({contextSize: Math.max(256, n + 8), batchSize: Math.max(n, 8), threads: 2});
    const sequence = context.getSequence();
    const out = await sequence.controlledEvaluate(args.tokens.map(t => [t, {generateNext: {logits: true}}]));
    result.logits = out.map((o, i) => {
        if (!o || !o.next || !o.next.logits) throw new Error(`no logits for position ${i}`);
        let size = 0;
        for (const k of o.next.logits.keys()) size = Math.max(size, k + 1);
        const dense = new Array(size).fill(null);
        for (const [k, v] of o.next.logits) dense[k] = v;
        return dense;
    });
    await context.dispose();
}
await model.dispose();
process.stdout.write(JSON.stringify(result));
