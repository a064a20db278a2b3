#!/usr/bin/env bash
# Browser end-to-end test: prepares a workspace with `whetstone demo` (a tiny
# Gemma 3-architecture model and chat dataset, no network), starts
# `whetstone serve` with an access token (opened through the printed URL,
# which trades it for a cookie), and walks the whole workflow in
# headless Chromium (frontend/e2e/flow.mjs), saving a screenshot per screen.
# Usage: frontend/e2e/run.sh [BINARY]   (default: build/bin/whetstone)
# Env: ARTIFACTS (default artifacts/), E2E_STEPS (default 150), E2E_DPO_STEPS
# (default 20), CHROMIUM.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="$(realpath "${1:-$ROOT/build/bin/whetstone}")"
ARTIFACTS="$(realpath -m "${ARTIFACTS:-$ROOT/artifacts}")/e2e"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$BIN" ] || { echo "e2e: no whetstone binary at $BIN" >&2; exit 1; }
if [ ! -x "$CHROMIUM" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
[ -d "$HERE/../node_modules/playwright-core" ] || (cd "$HERE/.." && npm ci --no-audit --no-fund --loglevel=error)

WORK="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"

echo "e2e: preparing the demo workspace"
"$BIN" demo --steps 4 --workspace "$WORK/ws" >"$ARTIFACTS/demo.log" 2>&1 || { cat "$ARTIFACTS/demo.log" >&2; exit 1; }

# Files the browser walk uses: a small chat dataset whose answer is
# Markdown, uploaded through the page; a preference dataset (prompt, chosen,
# rejected) for a short DPO run; a folder with bad rows, whose counts
# the Datasets screen must report as `whetstone data inspect` does; and a
# model (its config alone) far larger than any machine, for the fit check.
FOLDER="$WORK/ws/datasets/mixed"
HUGE="$WORK/ws/models/huge-gemma3"
mkdir -p "$WORK/upload" "$FOLDER" "$HUGE"
python3 - "$WORK" "$WORK/ws/models/demo/gemma3-demo/config.json" "$HUGE" <<'PY'
import json, sys
work, demo_config, huge = sys.argv[1:4]
config = json.load(open(demo_config))
config.update(hidden_size=16384, intermediate_size=53248, num_hidden_layers=126, num_attention_heads=128,
              num_key_value_heads=8, head_dim=128, layer_types=["full_attention"] * 126)
json.dump(config, open(f"{huge}/config.json", "w"))
qs = ["Who are you?", "Who trained you?", "What are you?", "Introduce yourself.",
      "What is your name?", "Tell me about yourself.", "Which model are you?", "Who made you?"]
with open(f"{work}/upload/markdown-chat.jsonl", "w") as f:
    for q in qs:
        f.write(json.dumps({"conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "I am **Whetstone**, tuned in your browser."}]}) + "\n")
with open(f"{work}/upload/prefs.jsonl", "w") as f:
    for q in qs:
        f.write(json.dumps({"prompt": q, "chosen": "I am Whetstone, a tuned assistant.", "rejected": "No idea."}) + "\n")
PY
cp "$WORK/ws/models/demo/demo-chat.jsonl" "$FOLDER/a.jsonl"
{ head -5 "$WORK/ws/models/demo/demo-chat.jsonl"; echo '{"conversations": [{"from": "human", "value": "broken"'; echo '{"conversations": [{"from": "robot", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}'; } > "$FOLDER/b.jsonl"
# It exits 1 for a dataset with bad rows, as this one has; its JSON says how many.
"$BIN" data inspect --json "$FOLDER" >"$ARTIFACTS/folder-inspect.json" 2>"$ARTIFACTS/folder-inspect.log" || true
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["skipped"] == 2, d["skipped"]' "$ARTIFACTS/folder-inspect.json" || { echo "e2e: data inspect did not count the folder's two bad rows" >&2; cat "$ARTIFACTS/folder-inspect.log" >&2; exit 1; }

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
TOKEN="e2e$(date +%s)$RANDOM"
"$BIN" serve --addr "127.0.0.1:$PORT" --token "$TOKEN" --workspace "$WORK/ws" >"$ARTIFACTS/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/methods" 2>/dev/null && break
  kill -0 "$SERVE_PID" 2>/dev/null || { echo "e2e: serve exited" >&2; cat "$ARTIFACTS/serve.log" >&2; exit 1; }
  sleep 0.2
done

# serve prints the URL to open, token included; the browser opens just that.
grep -qF "serving at http://127.0.0.1:$PORT/?token=$TOKEN" "$ARTIFACTS/serve.log" || { echo "e2e: serve did not print its URL with the token" >&2; cat "$ARTIFACTS/serve.log" >&2; exit 1; }
# DNS rebinding: another host name is refused, even with the right token.
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Host: evil.example:$PORT" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/methods")"
[ "$code" = 403 ] || { echo "e2e: a request for host evil.example got HTTP $code, want 403" >&2; exit 1; }

echo "e2e: the REST API as a program uses it: upload, run, follow its events, export, download (frontend/e2e/api-flow.mjs)"
BASE="http://127.0.0.1:$PORT" TOKEN="$TOKEN" node "$HERE/api-flow.mjs" || { echo "e2e: the REST API flow failed" >&2; tail -40 "$ARTIFACTS/serve.log" >&2; exit 1; }

echo "e2e: the OpenAI-compatible endpoint with the official openai package (frontend/e2e/openai.mjs)"
BASE="http://127.0.0.1:$PORT" TOKEN="$TOKEN" node "$HERE/openai.mjs" || { echo "e2e: the OpenAI-compatible endpoint failed" >&2; tail -40 "$ARTIFACTS/serve.log" >&2; exit 1; }

echo "e2e: driving Chromium against http://127.0.0.1:$PORT"
status=0
CHROMIUM="$CHROMIUM" UPLOAD="$WORK/upload/markdown-chat.jsonl" PREFS="$WORK/upload/prefs.jsonl" FOLDER="$FOLDER" HUGE="$HUGE" FOLDER_INSPECT="$ARTIFACTS/folder-inspect.json" \
  node "$HERE/flow.mjs" "http://127.0.0.1:$PORT" "$TOKEN" "$WORK/ws" "$ARTIFACTS" || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: serve log (last 40 lines):" >&2
  tail -40 "$ARTIFACTS/serve.log" >&2
fi
echo "e2e: screenshots in $ARTIFACTS"
exit "$status"
