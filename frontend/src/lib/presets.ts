// The preset picker's entries; the values themselves come from Go
// (Runs.Defaults) so the form and `whetstone train` share one source.
export const PRESETS = [
  { family: 'gemma3', title: 'Gemma 3', note: 'Unsloth notebook: r=8, lr 2e-4, 60 steps' },
  { family: 'llama3', title: 'Llama 3.x', note: 'r=16' },
  { family: 'qwen3', title: 'Qwen 3', note: 'r=32' },
];
