// The REST API end to end, as a program would use it: with only the
// documented routes (/api/openapi.json) and the access token, it uploads
// the demo's dataset, starts a run of the demo model, follows the run's
// events (Server-Sent Events) to the end, exports the run as a PEFT adapter
// and downloads the export, checking each answer.
//
// Usage: BASE=http://127.0.0.1:8080 TOKEN=... node frontend/e2e/api-flow.mjs
// against `whetstone serve` over a workspace prepared with `whetstone demo`
// (frontend/e2e/run.sh does both). Optional: STEPS (default 4), DEMO_MODEL
// and DEMO_DATA (default: the demo's files in the server's workspace).
// Node 20 or later, no dependencies.
import { readFile } from 'node:fs/promises';

const BASE = (process.env.BASE ?? '').replace(/\/+$/, '');
const TOKEN = process.env.TOKEN ?? '';
const STEPS = Number(process.env.STEPS ?? 4);
if (!BASE || !TOKEN) {
  console.error('api-flow: set BASE (the server, e.g. http://127.0.0.1:8080) and TOKEN (its access token)');
  process.exit(2);
}

const auth = { Authorization: `Bearer ${TOKEN}` };

function fail(msg) {
  throw new Error(msg);
}

// api sends a request and returns the answer, failing unless its status is
// want; JSON answers come back parsed.
async function api(method, path, { body, raw, want = 200, headers = {} } = {}) {
  const init = { method, headers: { ...auth, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  } else if (raw !== undefined) {
    init.body = raw;
    init.headers['Content-Type'] = 'application/octet-stream';
  }
  const res = await fetch(BASE + path, init);
  const type = res.headers.get('content-type') ?? '';
  const data = type.startsWith('application/json') ? await res.json() : new Uint8Array(await res.arrayBuffer());
  if (res.status !== want) {
    fail(`${method} ${path}: HTTP ${res.status}, want ${want}: ${JSON.stringify(data).slice(0, 500)}`);
  }
  return { res, data };
}

// checkError checks the API's one error shape.
function checkError(what, data, code) {
  const e = data?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !e.message) {
    fail(`${what}: not the error shape {"error": {"code", "message"}}: ${JSON.stringify(data)}`);
  }
  if (e.code !== code) fail(`${what}: error code ${e.code}, want ${code}`);
}

// events reads a Server-Sent Events stream until it ends, calling onEvent
// with each event's topic and parsed data.
async function events(path, onEvent) {
  const res = await fetch(BASE + path, { headers: { ...auth, Accept: 'text/event-stream' } });
  if (res.status !== 200) fail(`GET ${path}: HTTP ${res.status}: ${await res.text()}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) fail(`GET ${path}: not an event stream`);
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let topic = '';
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) topic = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (topic) onEvent(topic, JSON.parse(data));
    }
  }
}

function step(msg) {
  console.log(`api-flow: ${msg}`);
}

async function main() {
  // The document lists every route this script uses.
  const { data: doc } = await api('GET', '/api/openapi.json');
  for (const p of ['/api/v1/runs', '/api/v1/runs/{ref}/events', '/api/v1/exports', '/api/v1/exports/{id}/download', '/api/v1/datasets/files/{name}']) {
    if (!doc.paths?.[p]) fail(`the OpenAPI document lacks ${p}`);
  }
  // Without the token: refused, in the error shape.
  const anon = await fetch(`${BASE}/api/v1/runs`);
  if (anon.status !== 401) fail(`GET /api/v1/runs without a token: HTTP ${anon.status}, want 401`);
  checkError('401', await anon.json(), 'unauthorized');

  const { data: system } = await api('GET', '/api/v1/system');
  step(`server ${system.version}, workspace ${system.workspace}, backend ${system.backend}`);
  const model = process.env.DEMO_MODEL ?? `${system.workspace}/models/demo/gemma3-demo`;
  let data = process.env.DEMO_DATA ?? `${system.workspace}/models/demo/demo-chat.jsonl`;

  const { data: info } = await api('GET', `/api/v1/models/inspect?ref=${encodeURIComponent(model)}`);
  step(`model ${info.architecture}, ${info.params} parameters`);

  // Upload the dataset when this machine can read it (run.sh's case).
  const bytes = await readFile(data).catch(() => null);
  if (bytes) {
    const name = `api-flow-${Date.now()}.jsonl`;
    const { data: up } = await api('PUT', `/api/v1/datasets/files/${name}`, { raw: bytes, want: 201 });
    if (up.bytes !== bytes.length) fail(`upload: ${up.bytes} bytes written, sent ${bytes.length}`);
    data = up.path;
    step(`uploaded the dataset as ${up.path}`);
  }
  const { data: ds } = await api('POST', '/api/v1/datasets/inspect', { body: { path: data } });
  step(`dataset: ${ds.detection?.mapping?.format ?? '?'} format, columns ${ds.columns.join(', ')}`);

  // A run config with a mistake is refused with the field at fault.
  const bad = await api('POST', '/api/v1/runs', {
    body: { model: { source: model }, dataset: { path: data }, training: { learning_rate: -1 } },
    want: 422,
  });
  checkError('422', bad.data, 'invalid');
  if (bad.data.error.field !== 'training.learning_rate') fail(`422 names field ${bad.data.error.field}, want training.learning_rate`);

  const config = {
    name: 'api-flow',
    model: { source: model },
    dataset: { path: data, val_fraction: 0.1 },
    lora: { r: 16, alpha: 32 },
    training: { learning_rate: 3e-3, max_steps: STEPS, max_seq_len: 256, eval_every: 2 },
    checkpoint: { every: 2 },
  };
  const { data: run } = await api('POST', '/api/v1/runs', { body: config, want: 201 });
  step(`started run ${run.id} (${run.state})`);

  let metrics = 0;
  let logs = 0;
  let end = null;
  await events(`/api/v1/runs/${run.id}/events`, (topic, ev) => {
    if (ev.id !== run.id) fail(`the run's stream carried an event of run ${ev.id}`);
    if (topic === 'run.metrics') {
      metrics++;
      step(`step ${ev.metrics.step}: loss ${ev.metrics.loss?.toFixed?.(4)}`);
    } else if (topic === 'run.log') logs++;
    else if (topic === 'end') end = ev;
  });
  if (!end) fail('the event stream ended without an end event');
  if (end.state !== 'completed') fail(`the run ended ${end.state}: ${end.error ?? ''}`);
  if (metrics !== STEPS) fail(`${metrics} run.metrics events, want ${STEPS}`);
  step(`run completed: ${metrics} steps, ${logs} log lines`);

  const { data: detail } = await api('GET', `/api/v1/runs/${run.id}`);
  if (!detail.has_adapter) fail('the completed run has no adapter');
  const { data: log } = await api('GET', `/api/v1/runs/${run.id}/log?n=5`);
  if (!Array.isArray(log.lines) || log.lines.length === 0) fail('the run has no log');
  const missing = await api('GET', '/api/v1/runs/no-such-run', { want: 404 });
  checkError('404', missing.data, 'not_found');

  const { data: exported } = await api('POST', '/api/v1/exports', { body: { run_id: run.id, format: 'peft' }, want: 201 });
  step(`exported to ${exported.out_dir} (${exported.files.length} files)`);
  const { data: exports } = await api('GET', '/api/v1/exports');
  const mine = exports.find((x) => x.path === exported.out_dir);
  if (!mine) fail(`GET /api/v1/exports does not list ${exported.out_dir}`);

  const zip = await api('GET', `/api/v1/exports/${encodeURIComponent(mine.id)}/download`);
  if (zip.res.headers.get('content-type') !== 'application/zip') fail('the export download is not a zip');
  if (!zip.res.headers.get('content-disposition')?.startsWith('attachment')) fail('the export download is not an attachment');
  const z = zip.data;
  if (z.length < 22 || z[0] !== 0x50 || z[1] !== 0x4b || z[2] !== 3 || z[3] !== 4) fail('the zip does not start with a local file header');
  for (const f of mine.files) {
    if (!Buffer.from(z).includes(Buffer.from(`${mine.id}/${f.path}`))) fail(`the zip lacks ${f.path}`);
  }
  step(`downloaded ${mine.id}.zip (${z.length} bytes)`);
  const one = await api('GET', `/api/v1/exports/${encodeURIComponent(mine.id)}/download?file=adapter_config.json`);
  const adapterConfig = JSON.parse(new TextDecoder().decode(one.data));
  if (adapterConfig.r !== 16) fail(`adapter_config.json has r=${adapterConfig.r}, want 16`);
  step('downloaded adapter_config.json; all good');
}

main().catch((err) => {
  console.error(`api-flow: FAILED: ${err.message}`);
  process.exit(1);
});
