// Acceptance test of the OpenAI-compatible endpoint: the official `openai`
// npm package, pointed at a running `whetstone serve` (baseURL BASE/v1,
// the serve token as the API key), lists the models and streams a chat
// completion from the demo model and from a demo run's adapter. It makes
// the calls the README's "OpenAI-compatible endpoint" examples make.
// Usage: BASE=http://127.0.0.1:PORT TOKEN=... [RUN=run:demo] node frontend/e2e/openai.mjs
// RUN defaults to the first run ("run:...") GET /v1/models lists.
import OpenAI from 'openai';

const base = process.env.BASE;
const token = process.env.TOKEN;
if (!base || !token) {
  console.error('usage: BASE=http://HOST:PORT TOKEN=TOKEN [RUN=run:NAME] node frontend/e2e/openai.mjs');
  process.exit(2);
}

function check(ok, msg) {
  if (!ok) throw new Error(`openai e2e: ${msg}`);
}

// No retries: a refusal must fail the test, not be retried into success.
const client = new OpenAI({ baseURL: `${base.replace(/\/$/, '')}/v1`, apiKey: token, maxRetries: 0, timeout: 120_000 });

const ids = [];
for await (const m of client.models.list()) {
  check(m.object === 'model' && typeof m.created === 'number' && m.owned_by, `a malformed model entry: ${JSON.stringify(m)}`);
  ids.push(m.id);
}
console.log(`openai e2e: models ${ids.join(', ')}`);
check(ids.includes('demo'), 'GET /v1/models does not list the demo model');
const run = process.env.RUN || ids.find((id) => id.startsWith('run:'));
check(run && ids.includes(run), `GET /v1/models does not list the demo run (${run ?? 'none'})`);

const messages = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'Who are you?' },
];

for (const model of ['demo', run]) {
  const stream = await client.chat.completions.create({
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 24,
    temperature: 0,
  });
  let text = '';
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    check(chunk.object === 'chat.completion.chunk', `a chunk of ${chunk.object}`);
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta?.content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  check(chunks >= 3, `${model}: ${chunks} chunks, want the role, some text and the end`);
  check(finish === 'stop' || finish === 'length', `${model}: finish_reason ${finish}`);
  check(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, `${model}: usage ${JSON.stringify(usage)}`);
  console.log(`openai e2e: ${model} streamed ${JSON.stringify(text)} (${finish}, ${usage.completion_tokens} tokens)`);

  // The same question without streaming gives the same greedy answer.
  const whole = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
  check(whole.choices[0].message.content === text, `${model}: streamed ${JSON.stringify(text)}, whole ${JSON.stringify(whole.choices[0].message.content)}`);
  check(whole.usage.total_tokens === whole.usage.prompt_tokens + whole.usage.completion_tokens, `${model}: usage ${JSON.stringify(whole.usage)}`);
}

// An unknown model is a 404 the client raises with the server's message.
try {
  await client.chat.completions.create({ model: 'no-such/model', messages });
  check(false, 'an unknown model was answered');
} catch (e) {
  if (!(e instanceof OpenAI.NotFoundError)) throw e;
  check(/not served/.test(e.message), `the 404 says ${e.message}`);
}
console.log('openai e2e: ok');
