#!/usr/bin/env bash
# Builds llama.cpp's own benchmark tool, llama-bench, for this machine's CPU,
# from the llama.cpp source node-llama-cpp ships beside its prebuilt
# binaries (node_modules/node-llama-cpp/llama/gitRelease.bundle): the same
# llama.cpp release the GGUF interop test runs, and no download but npm's.
# Prints the executable's path, for
#   whetstone bench --config gemma3-270m --llama-cpp "$(tools/llamacpp-check/build-llama-bench.sh)"
# llama-bench times llama.cpp at its own speed: through node-llama-cpp, with
# 2 threads on a 2-core Xeon, the same file decoded 10-35 %
# slower (backend/bench/README.md, "tenth pass").
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
need_apt cmake g++ git
cd "$ROOT/tools/llamacpp-check"
if [ ! -f node_modules/node-llama-cpp/llama/gitRelease.bundle ]; then
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
src=llama.cpp
if [ ! -d "$src/.git" ]; then
  rm -rf "$src"
  git -c advice.detachedHead=false clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle "$src" >&2
fi
# Only llama-bench and what it links: no tests, examples, server or curl.
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >&2
cmake --build "$src/build" --target llama-bench -j"$(nproc)" >&2
echo "$PWD/$src/build/bin/llama-bench"
