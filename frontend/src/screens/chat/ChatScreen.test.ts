// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { fakeTransport } from '../../test/fakeTransport';
import ChatScreen from './ChatScreen.svelte';

afterEach(() => setTransport(null));

describe('chat screen', () => {
  it('streams base and fine-tuned answers side by side', async () => {
    let n = 0;
    const fake = fakeTransport({
      'Runs.List': () => [{ id: 'r1', name: 'tuned', state: 'completed', model: 'base-model', dataset: 'd', created: '', step: 2, total_steps: 2 }],
      'Chat.Generate': () => ({ stream_id: `s${++n}` }),
    });
    setTransport(fake.t);
    render(ChatScreen, { runId: 'r1' });
    const side = (await screen.findByRole('checkbox', { name: /side by side/ })) as HTMLInputElement;
    await waitFor(() => expect(side.disabled).toBe(false));
    await fireEvent.click(side);
    await screen.findByRole('region', { name: 'Base model' });

    // A token that arrives before Generate answers is kept for its stream.
    fake.emit('chat.token', { stream_id: 's1', text: 'Par', done: false });
    await fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Capital of France?' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Chat.Generate')).toHaveLength(2));

    const [base, tuned] = fake.calls.filter((c) => c.name === 'Chat.Generate').map((c) => c.args[0] as Record<string, unknown>);
    // One weights setting for both panes, auto unless chosen.
    expect(base.weights).toBe('auto');
    expect(tuned.weights).toBe('auto');
    expect(base.model).toBe('base-model');
    expect(base.run_id).toBeUndefined();
    expect(tuned.run_id).toBe('r1');
    expect(tuned.messages).toEqual([{ role: 'user', content: 'Capital of France?' }]);

    fake.emit('chat.token', { stream_id: 's2', text: 'Paris', done: false });
    fake.emit('chat.token', { stream_id: 's1', text: 'is', done: false });
    const basePane = screen.getByRole('region', { name: 'Base model' });
    const tunedPane = screen.getByRole('region', { name: 'Fine-tuned (tuned · r1)' });
    await waitFor(() => expect(basePane.querySelector('[data-testid=streaming]')?.textContent).toContain('Paris'));
    expect(tunedPane.querySelector('[data-testid=streaming]')?.textContent).toContain('Paris');
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();

    fake.emit('chat.token', { stream_id: 's1', text: '', done: true, tokens_per_s: 12.5, weights: 'int8' });
    fake.emit('chat.token', { stream_id: 's2', text: '.', done: true });
    await waitFor(() => expect(basePane.textContent).toContain('Paris'));
    await screen.findByRole('button', { name: 'Send' });
    expect(basePane.querySelector('[data-testid=streaming]')).toBeNull();
    expect(tunedPane.textContent).toContain('Paris.');
    expect(basePane.querySelector('[data-testid=stats]')?.textContent).toBe('int8 · 12.5 tok/s');
  });

  it('renders answers as safe Markdown, copies them, regenerates the last and sends stop strings and the repetition penalty', async () => {
    let n = 0;
    const fake = fakeTransport({
      'Runs.List': () => [],
      'Chat.Generate': () => ({ stream_id: `s${++n}` }),
    });
    setTransport(fake.t);
    const writes: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: async (t: string) => void writes.push(t) }, configurable: true });
    render(ChatScreen, {});

    // Send says why it cannot send.
    const send = screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    expect(document.getElementById('send-why')?.textContent).toMatch(/Choose a model/);
    await fireEvent.input(screen.getByLabelText('Model'), { target: { value: 'some/model' } });
    expect(document.getElementById('send-why')?.textContent).toBe('Type a message.');

    await fireEvent.input(screen.getByLabelText(/^Stop strings/), { target: { value: '\\nUser:' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await fireEvent.input(screen.getByLabelText(/^Repetition penalty/), { target: { value: '1.2' } });
    await fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Show code' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Chat.Generate')).toHaveLength(1));
    const req = fake.calls.find((c) => c.name === 'Chat.Generate')!.args[0] as Record<string, unknown>;
    expect(req.stop).toEqual(['\nUser:']);
    expect(req.repetition_penalty).toBe(1.2);
    expect(req.system).toBeUndefined();

    fake.emit('chat.token', { stream_id: 's1', text: '**Here** <img src=x onerror="alert(1)">\n\n```\nx := 1\n```', done: true });
    const answer = await screen.findByTestId('answer');
    expect(answer.querySelector('strong')?.textContent).toBe('Here');
    expect(answer.querySelector('pre code')?.textContent).toBe('x := 1\n');
    expect(answer.querySelector('img, [onerror]')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Copy answer 2' }));
    await waitFor(() => expect(writes).toEqual(['**Here** <img src=x onerror="alert(1)">\n\n```\nx := 1\n```']));

    await fireEvent.click(screen.getByRole('button', { name: 'Regenerate' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Chat.Generate')).toHaveLength(2));
    const again = fake.calls.filter((c) => c.name === 'Chat.Generate')[1].args[0] as Record<string, unknown>;
    expect(again.messages).toEqual([{ role: 'user', content: 'Show code' }]);
    expect(screen.queryByTestId('answer')).toBeNull();
    fake.emit('chat.token', { stream_id: 's2', text: 'Another answer', done: true });
    await waitFor(() => expect(screen.getByTestId('answer').textContent).toContain('Another answer'));
    expect(screen.getAllByTestId('answer')).toHaveLength(1);
  });

  it("starts from the model's recommended sampling", async () => {
    const fake = fakeTransport({
      'Runs.List': () => [],
      'Chat.Defaults': (m: unknown) =>
        (m as { model: string }).model === 'demo-model'
          ? { found: true, temperature: 0, top_p: 0, top_k: 0, min_p: 0, repetition_penalty: 0, auto_weights: 'float32' }
          : { found: false, temperature: 0, top_p: 0, top_k: 0, min_p: 0, repetition_penalty: 0 },
      'Chat.Generate': () => ({ stream_id: 's1' }),
    });
    setTransport(fake.t);
    render(ChatScreen, {});
    await fireEvent.input(screen.getByLabelText('Model'), { target: { value: 'demo-model' } });
    await waitFor(() => expect(screen.getByTestId('sampling-source').textContent).toMatch(/recommends: greedy/));
    // The weights hint says what auto becomes for this model; a choice reaches the request.
    const weights = screen.getByLabelText('Weights') as HTMLSelectElement;
    expect(weights.value).toBe('auto');
    expect([...weights.options].map((o) => o.value)).toEqual(['auto', 'float32', 'bfloat16', 'int8']);
    expect(document.getElementById('chat-weights-hint')?.textContent).toMatch(/^float32 for this model/);
    await fireEvent.change(weights, { target: { value: 'int8' } });
    expect(document.getElementById('chat-weights-hint')?.textContent).toMatch(/a quarter of the bytes/);
    await fireEvent.input(screen.getByLabelText('Message'), { target: { value: 'Who are you?' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(fake.calls.some((c) => c.name === 'Chat.Generate')).toBe(true));
    const req = fake.calls.find((c) => c.name === 'Chat.Generate')!.args[0] as Record<string, unknown>;
    expect(req).toMatchObject({ model: 'demo-model', temperature: 0, top_p: 0, top_k: 0, max_new_tokens: 256, weights: 'int8' });
    // Only the last name typed is asked about once typing pauses.
    expect(fake.calls.filter((c) => c.name === 'Chat.Defaults').map((c) => c.args[0])).toEqual([{ run_id: '', model: 'demo-model' }]);
  });
});
