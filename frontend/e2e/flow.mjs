// End-to-end walk through the UI in headless Chromium against a running
// `whetstone serve`: model picked from the list and a fit warning -> a
// folder dataset with bad files counted as `data inspect` counts them -> a
// dataset uploaded from this computer, previewed with masks -> new run with
// a preset switch that keeps the user's edits -> live charts -> completion
// -> chat streaming, the tuned answer rendered as Markdown -> GGUF export,
// downloaded -> a preference dataset previewed as pairs and a short DPO run
// with its reward charts -> Settings, with a screenshot of every screen. It logs in the way a user does, through the printed URL
// (BASE_URL/?token=TOKEN), and checks the token leaves no trace in the page.
// Usage: node flow.mjs BASE_URL TOKEN WORKSPACE ARTIFACTS
// Env (run.sh sets them): UPLOAD, a chat dataset to upload whose answers
// are Markdown; PREFS, a preference dataset (prompt, chosen, rejected) to
// upload for a DPO run; FOLDER, a dataset folder with bad rows inside the
// workspace; FOLDER_INSPECT, `whetstone data inspect --json FOLDER`'s output;
// HUGE, a model folder (config only) far larger than any machine's memory.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [base, token, workspace, artifacts] = process.argv.slice(2);
if (!base || !token || !workspace || !artifacts) {
  console.error('usage: node flow.mjs BASE_URL TOKEN WORKSPACE ARTIFACTS');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const modelDir = join(workspace, 'models/demo/gemma3-demo');
const { UPLOAD: uploadFile, PREFS: prefsFile, FOLDER: folderDir, FOLDER_INSPECT: folderInspect, HUGE: hugeDir } = process.env;
if (!uploadFile || !prefsFile || !folderDir || !folderInspect || !hugeDir) {
  console.error('flow.mjs: set UPLOAD, PREFS, FOLDER, FOLDER_INSPECT and HUGE (frontend/e2e/run.sh does)');
  process.exit(2);
}
// Long enough that pausing lands mid-run on a fast machine, short enough for CI.
const STEPS = Number(process.env.E2E_STEPS || 150);
// The DPO run only has to show its reward figures: a few steps do.
const DPO_STEPS = Number(process.env.E2E_DPO_STEPS || 20);
// Every wait below is for a state the page shows; the limits only end a
// test that is stuck, and are generous because CI may share its two cores
// with other work (a run then trains several times slower).
const STATE_WAIT = 10 * 60_000;
const RUN_WAIT = 30 * 60_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
});
page.setDefaultTimeout(120_000);

let n = 0;
async function shot(name) {
  n++;
  const file = join(artifacts, `${String(n).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot ${file}`);
}
function step(msg) {
  console.log(`--> ${msg}`);
}
async function textOf(sel) {
  return (await page.locator(sel).first().textContent())?.trim() ?? '';
}

try {
  step('without the token the API refuses and the UI asks for it');
  const first = await page.goto(base + '/');
  if (first?.status() !== 200) throw new Error(`page without token: HTTP ${first?.status()}, want 200 (the UI's files need no token)`);
  await page.getByRole('heading', { name: 'Access token required' }).waitFor();
  const apiStatus = await page.evaluate(async () => (await fetch('/api/methods')).status);
  if (apiStatus !== 401) throw new Error(`API without token: HTTP ${apiStatus}, want 401`);
  // Even the right token is refused in an API URL: logs and history keep URLs.
  const inURL = await page.evaluate(async (t) => (await fetch(`/api/methods?token=${t}`)).status, token);
  if (inURL !== 401) throw new Error(`API with the token in its URL: HTTP ${inURL}, want 401`);
  await shot('token-refused');

  step('a wrong token in the URL is refused; the token screen logs in with the right one');
  const wrong = await page.goto(`${base}/?token=wrong#/models`);
  if (wrong?.status() !== 401) throw new Error(`page with a wrong token: HTTP ${wrong?.status()}, want 401`);
  await page.goto(`${base}/#/models`);
  await page.getByRole('heading', { name: 'Access token required' }).waitFor();
  await shot('token-required');
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Base model').waitFor();
  if (page.url().includes('token=')) throw new Error(`the token screen left the token in the address bar: ${page.url()}`);

  step('Models: open the printed URL, then pick the demo model from the list');
  await context.clearCookies();
  await page.goto(`${base}/?token=${token}#/models`);
  // The server swapped the token for a cookie and redirected: the address
  // bar, the history and the page's script never keep it.
  if (page.url() !== `${base}/#/models`) throw new Error(`the address bar is ${page.url()}, want ${base}/#/models`);
  const session = (await context.cookies(base)).find((c) => c.name.startsWith('whetstone_session'));
  if (!session || !session.httpOnly || session.sameSite !== 'Strict') throw new Error(`no HttpOnly, SameSite=Strict session cookie: ${JSON.stringify(session)}`);
  const visible = await page.evaluate(() => document.cookie + JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  if (visible.includes(token) || visible.includes(session.value)) throw new Error('the page script can read the token or the session');
  if (page.url().includes('token=')) throw new Error('the token was left in the address bar');

  // A model far too large for this machine: the fit check says so, with
  // the settings that would help.
  await page.getByLabel('Base model').fill(hugeDir);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=fit-verdict]')?.classList.contains('error'), null, { timeout: STATE_WAIT });
  console.log(`    fit check: ${await textOf('[data-testid=fit-verdict]')}`);
  await shot('models-fit-warning');

  const pickDemo = page.getByRole('list', { name: 'In the workspace' }).getByRole('button', { name: /gemma3-demo/ });
  await pickDemo.click();
  await page.waitForFunction((dir) => document.querySelector('#model-ref')?.value === dir, modelDir, { timeout: STATE_WAIT });
  await page.waitForFunction(() => document.querySelector('[data-testid=fit-verdict]')?.classList.contains('good'), null, { timeout: STATE_WAIT });
  const params = await textOf('[data-testid=params]');
  if (!/^\d/.test(params)) throw new Error(`parameter count not shown: ${params}`);
  await shot('models');

  step('Datasets: a folder with bad files, counted as `whetstone data inspect` counts them');
  await page.getByRole('link', { name: 'Datasets', exact: true }).click();
  await page.getByLabel('Dataset', { exact: true }).fill(folderDir);
  await page.getByLabel(/Model \(for the chat template/).fill(modelDir);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByTestId('format').waitFor();
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByTestId('skipped').waitFor({ timeout: STATE_WAIT });
  const cli = JSON.parse(readFileSync(folderInspect, 'utf8'));
  const seen = { rows: await textOf('[data-testid=rows]'), skipped: await textOf('[data-testid=skipped]') };
  if (Number(seen.rows.replace(/\D/g, '')) !== cli.rows || Number(seen.skipped.replace(/\D/g, '')) !== cli.skipped) {
    throw new Error(`the screen counts ${seen.rows} rows, ${seen.skipped} bad; data inspect counts ${cli.rows} rows, ${cli.skipped} bad`);
  }
  console.log(`    ${cli.rows} rows, ${cli.skipped} bad, as data inspect says`);
  await shot('datasets-folder-stats');

  step('Datasets: upload a dataset from this computer, detect its format and preview the trained tokens');
  await page.getByLabel('File to upload').setInputFiles(uploadFile);
  await page.waitForFunction(() => /[\\/]datasets[\\/]markdown-chat\.jsonl$/.test(document.querySelector('#ds-path')?.value ?? ''), null, { timeout: STATE_WAIT });
  const uploaded = await page.locator('#ds-path').inputValue();
  console.log(`    uploaded to ${uploaded}`);
  await page.getByRole('tab', { name: 'Preview' }).click();
  await page.getByTestId('format').waitFor();
  await page.locator('[data-testid=rendered] .trained').first().waitFor();
  const masked = await page.locator('[data-testid=rendered] .masked').count();
  const trained = await page.locator('[data-testid=rendered] .trained').count();
  if (masked === 0 || trained === 0) throw new Error(`preview shows no masks (masked ${masked}, trained ${trained})`);
  console.log(`    format ${await textOf('[data-testid=format]')}, ${trained} trained and ${masked} masked runs on the page`);
  await shot('datasets-preview');
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByTestId('kept').waitFor();
  await shot('datasets-stats');

  step('New run: the form starts from the model and data chosen');
  await page.getByRole('link', { name: 'New run', exact: true }).click();
  await page.getByLabel('Base model').waitFor();
  const src = await page.getByLabel('Base model').inputValue();
  if (src !== modelDir) throw new Error(`New run did not carry the model over: ${src}`);
  await page.getByLabel('Run name').fill('e2e');
  const edits = [
    ['Max steps', String(STEPS)],
    ['Learning rate', '0.003'],
    ['Max sequence length', '256'],
    ['Warmup steps', '2'],
  ];
  for (const [label, value] of edits) {
    if (label === 'Warmup steps') await page.getByText('Advanced').click();
    const input = page.getByLabel(label, { exact: true });
    await input.fill(value);
    await input.press('Tab');
  }

  step('New run: switching preset asks before replacing edits, and keeps them');
  for (const preset of [/Llama 3/, /Gemma 3/]) {
    await page.getByRole('radio', { name: preset }).click();
    await page.getByRole('alertdialog').waitFor();
    if (preset.source.startsWith('Llama')) await shot('newrun-preset-confirm');
    await page.getByRole('button', { name: 'Keep my values' }).click();
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
  }
  for (const [label, value] of [['Run name', 'e2e'], ...edits]) {
    const got = await page.getByLabel(label, { exact: true }).inputValue();
    if (Number(got) !== Number(value) && got !== value) throw new Error(`the preset switch changed ${label} to ${got}, want ${value}`);
  }
  // A bad value is refused next to its field, then fixed.
  const rank = page.getByLabel('Rank r', { exact: true });
  await rank.fill('0');
  await rank.press('Tab');
  await page.locator('#f-lora-r-error').waitFor();
  await shot('newrun-validation');
  await rank.fill('16');
  await rank.press('Tab');
  await page.locator('#f-lora-r-error').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'CLI command' }).click();
  await page.getByText('whetstone train').first().waitFor();
  await page.getByText(/markdown-chat\.jsonl/).first().waitFor();
  await shot('newrun');
  await page.getByRole('button', { name: 'Start training' }).click();

  step('Run page: live charts while training');
  await page.waitForURL(/#\/runs\/.+/);
  const runId = decodeURIComponent(page.url().split('#/runs/')[1]);
  console.log(`    run ${runId}`);
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=loss]')?.textContent ?? '—';
    return t !== '—';
  }, null, { timeout: STATE_WAIT });
  const firstLoss = await textOf('[data-testid=loss]');
  const bar = page.getByRole('progressbar', { name: 'Training progress' });
  const p1 = Number(await bar.getAttribute('aria-valuenow'));
  await page.waitForFunction((p) => Number(document.querySelector('[aria-label="Training progress"]')?.getAttribute('aria-valuenow')) > p + 2, p1, { timeout: STATE_WAIT });
  const p2 = Number(await bar.getAttribute('aria-valuenow'));
  console.log(`    live: loss ${firstLoss}, progress ${p1}% -> ${p2}%`);
  await shot('run-live');

  step('Run page: pause and resume');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'paused', null, { timeout: STATE_WAIT });
  const pausedAt = Number(await bar.getAttribute('aria-valuenow'));
  await shot('run-paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.waitForFunction((p) => Number(document.querySelector('[aria-label="Training progress"]')?.getAttribute('aria-valuenow')) > p, pausedAt, { timeout: STATE_WAIT });
  console.log(`    paused at ${pausedAt}%, resumed`);

  step('Run page: the run completes');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-state]')?.textContent === 'completed', null, { timeout: RUN_WAIT });
  await page.waitForTimeout(500);
  console.log(`    completed with loss ${await textOf('[data-testid=loss]')}`);
  await shot('run-completed');
  await page.getByRole('checkbox', { name: 'Log scale' }).check();
  await page.waitForTimeout(300);
  await shot('run-log-scale');

  step('Runs list and comparison');
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await page.getByTestId(`state-${runId}`).waitFor();
  const boxes = page.getByRole('checkbox', { name: /for comparison/ });
  if ((await boxes.count()) >= 2) {
    await boxes.nth(0).check();
    await boxes.nth(1).check();
  }
  await shot('runs');
  if ((await boxes.count()) >= 2) {
    await page.getByRole('button', { name: /Compare selected/ }).click();
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    await page.waitForTimeout(500);
    await shot('runs-compare');
  }

  step('Chat: base vs fine-tuned, streaming; the tuned answer is rendered Markdown');
  await page.goto(`${base}/#/chat/${encodeURIComponent(runId)}`);
  await page.getByLabel('Adapter').waitFor();
  await page.waitForFunction((id) => document.querySelector('#chat-adapter')?.value === id, runId);
  await page.getByRole('checkbox', { name: /side by side/ }).check();
  await page.getByLabel('Max new tokens').fill('24');
  await page.getByLabel('Message').fill('Who are you?');
  // Streaming shows a growing answer before the final one; a watcher notes
  // whether the page showed it (an answer may also finish in one render,
  // so this is reported, not required: openai.mjs and the unit tests check
  // streaming itself).
  await page.evaluate(() => {
    window.__sawStreaming = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=streaming]')) window.__sawStreaming = true;
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.msg.assistant').length >= 2 && !document.querySelector('[data-testid=streaming]'), null, { timeout: STATE_WAIT });
  const streamed = await page.evaluate(() => window.__sawStreaming);
  const errs = await page.locator('.pane [role=alert]').count();
  if (errs) throw new Error(`chat failed: ${await textOf('.pane [role=alert]')}`);
  // The run learned "I am **Whetstone**, ...": the pane shows it in bold.
  const tuned = page.locator('.pane', { has: page.getByRole('heading', { name: /Fine-tuned/ }) });
  const answer = (await tuned.locator('[data-testid=answer]').last().textContent())?.trim();
  const bold = await tuned.locator('[data-testid=answer] strong').allTextContents();
  // The run learns the answer in the default 150 steps; a shorter run
  // (E2E_STEPS, for a quick try) may not, and only says so.
  if (!bold.includes('Whetstone') && STEPS >= 150) throw new Error(`the tuned answer shows no bold "Whetstone": ${answer}`);
  console.log(`    tuned: ${answer} (${streamed ? 'seen streaming' : 'finished within one render'})`);
  await shot('chat');

  step('Export: GGUF');
  await page.goto(`${base}/#/export/${encodeURIComponent(runId)}`);
  await page.waitForFunction((id) => document.querySelector('#ex-run')?.value === id, runId);
  await page.getByLabel('Format').selectOption('gguf');
  await page.getByLabel('Quantization').selectOption('q8_0');
  await page.getByRole('button', { name: 'Export' }).click();
  await page.getByTestId('export-file').first().waitFor({ timeout: STATE_WAIT });
  const files = await page.getByTestId('export-file').allTextContents();
  if (!files.some((f) => f.endsWith('.gguf'))) throw new Error(`no .gguf among ${files.join(', ')}`);
  console.log(`    exported ${files.join(', ')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all (zip)' }).click()]);
  const zip = join(artifacts, download.suggestedFilename());
  await download.saveAs(zip);
  const head = readFileSync(zip).subarray(0, 2).toString();
  if (!zip.endsWith('.zip') || head !== 'PK' || statSync(zip).size < 1000) throw new Error(`the download ${zip} is not the export as a zip`);
  console.log(`    downloaded ${download.suggestedFilename()} (${statSync(zip).size} bytes)`);
  await shot('export');

  step('Runs: delete the demo run');
  page.once('dialog', (d) => d.accept());
  const demoId = await page.evaluate(async (id) => {
    // The session cookie authenticates the page's own requests.
    const res = await fetch('/api/call/Runs/List', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' });
    return (await res.json()).map((r) => r.id).find((x) => x !== id);
  }, runId);
  if (demoId) {
    await page.goto(`${base}/#/runs/${encodeURIComponent(demoId)}`);
    await page.getByTestId('run-state').waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/#\/runs$/);
    await page.getByTestId(`state-${runId}`).waitFor();
    if (await page.getByTestId(`state-${demoId}`).count()) throw new Error('the deleted run is still listed');
  }

  step('Datasets: a preference dataset previews as pairs, the prompt masked and both answers trained');
  await page.getByRole('link', { name: 'Datasets', exact: true }).click();
  await page.getByLabel('File to upload').setInputFiles(prefsFile);
  await page.waitForFunction(() => /[\\/]datasets[\\/]prefs\.jsonl$/.test(document.querySelector('#ds-path')?.value ?? ''), null, { timeout: STATE_WAIT });
  await page.getByRole('tab', { name: 'Preview' }).click();
  await page.locator('[data-testid=pair-rejected] .trained').first().waitFor({ timeout: STATE_WAIT });
  const prompts = await page.locator('[data-testid=pair-prompt] .masked').count();
  const chosenTrained = await page.locator('[data-testid=pair-chosen] .trained').count();
  if (prompts === 0 || chosenTrained === 0) throw new Error(`the pair preview shows no masked prompt or trained chosen answer (prompt ${prompts}, chosen ${chosenTrained})`);
  if (await page.locator('[data-testid=pair-prompt] .trained').count()) throw new Error('the pair preview trains the prompt');
  console.log(`    format ${await textOf('[data-testid=format]')}, ${await page.locator('[data-testid=pair-chosen]').count()} pairs on the page`);
  await page.getByRole('article', { name: 'Row 1' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot('datasets-pairs');
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByTestId('pairs').waitFor({ timeout: STATE_WAIT });
  console.log(`    ${await textOf('[data-testid=pairs]')} preference pairs`);

  step('New run: DPO on the pairs');
  await page.getByRole('link', { name: 'New run', exact: true }).click();
  await page.getByLabel('Base model').waitFor();
  const dpoData = await page.getByLabel('Dataset', { exact: true }).inputValue();
  if (!dpoData.endsWith('prefs.jsonl')) throw new Error(`New run did not carry the preference dataset over: ${dpoData}`);
  await page.getByLabel('Run name').fill('e2e-dpo');
  // The form starts as SFT, which cannot train on pairs: the check says so
  // under the method, and choosing DPO clears it.
  const methodError = page.getByTestId('method-error');
  await methodError.waitFor({ timeout: STATE_WAIT });
  console.log(`    SFT on pairs: ${await methodError.textContent()}`);
  await page.getByRole('group', { name: 'Method', exact: true }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot('newrun-sft-on-pairs');
  await page.getByRole('radio', { name: 'DPO', exact: true }).check();
  await page.getByLabel('DPO beta', { exact: true }).waitFor();
  await methodError.waitFor({ state: 'detached', timeout: STATE_WAIT });
  for (const [label, value] of [['Max steps', String(DPO_STEPS)], ['Max sequence length', '256']]) {
    const input = page.getByLabel(label, { exact: true });
    await input.fill(value);
    await input.press('Tab');
  }
  // The check has seen the method: the rendered config names it.
  await page.getByRole('button', { name: 'YAML', exact: true }).click();
  await page.getByText(/method: dpo/).first().waitFor({ timeout: STATE_WAIT });
  await page.getByRole('group', { name: 'Method', exact: true }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await shot('newrun-dpo');
  await page.getByRole('button', { name: 'Start training' }).click();

  step('Run page: the DPO run completes and charts its rewards');
  await page.waitForURL(/#\/runs\/.+/);
  console.log(`    run ${decodeURIComponent(page.url().split('#/runs/')[1])}`);
  await page.getByTestId('run-method').waitFor({ timeout: STATE_WAIT });
  await page.waitForFunction(() => ['completed', 'failed'].includes(document.querySelector('[data-testid=run-state]')?.textContent ?? ''), null, { timeout: RUN_WAIT });
  if ((await textOf('[data-testid=run-state]')) !== 'completed') throw new Error(`the DPO run did not complete: ${await textOf('[role=alert]')}`);
  for (const title of ['Rewards: chosen vs rejected', 'Reward margin', 'Reward accuracy']) await page.locator(`[role=img][aria-label="${title}"]`).waitFor();
  const margin = await textOf('[data-testid=reward-margin]');
  const accuracy = await textOf('[data-testid=reward-accuracy]');
  if (margin === '—' || accuracy === '—') throw new Error(`the summary shows no reward figures (margin ${margin}, accuracy ${accuracy})`);
  console.log(`    DPO: loss ${await textOf('[data-testid=loss]')}, reward margin ${margin}, accuracy ${accuracy}`);
  await shot('run-dpo');

  step('Settings: dark theme');
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Theme').selectOption('dark');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await shot('settings-dark');
  await page.goto(`${base}/#/runs/${encodeURIComponent(runId)}`);
  await page.getByTestId('run-state').waitFor();
  await page.waitForTimeout(500);
  await shot('run-dark');
  await page.getByLabel('Theme').count(); // keep the page alive until here
  // Restore the light theme so a reused workspace starts as it was.
  await page.goto(`${base}/#/settings`);
  await page.getByLabel('Theme').selectOption('light');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();

  const bad = problems.filter((p) => !p.includes('401'));
  if (bad.length) throw new Error(`the page reported errors:\n${bad.join('\n')}`);
  console.log('e2e flow passed');
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`e2e flow FAILED: ${e instanceof Error ? e.stack : e}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
