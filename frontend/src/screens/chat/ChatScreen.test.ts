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
    expect(base.model).toBe('base-model');
    expect(base.run_id).toBeUndefined();
    expect(tuned.run_id).toBe('r1');
    expect(tuned.messages).toEqual([{ role: 'user', content: 'Capital of France?' }]);

    fake.emit('chat.token', { stream_id: 's2', text: 'Paris', done: false });
    fake.emit('chat.token', { stream_id: 's1', text: 'is', done: false });
    const basePane = screen.getByRole('region', { name: 'Base model' });
    const tunedPane = screen.getByRole('region', { name: 'Fine-tuned (tuned)' });
    await waitFor(() => expect(basePane.querySelector('[data-testid=streaming]')?.textContent).toContain('Paris'));
    expect(tunedPane.querySelector('[data-testid=streaming]')?.textContent).toContain('Paris');
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();

    fake.emit('chat.token', { stream_id: 's1', text: '', done: true, tokens_per_s: 12.5 });
    fake.emit('chat.token', { stream_id: 's2', text: '.', done: true });
    await waitFor(() => expect(basePane.textContent).toContain('Paris'));
    await screen.findByRole('button', { name: 'Send' });
    expect(basePane.querySelector('[data-testid=streaming]')).toBeNull();
    expect(tunedPane.textContent).toContain('Paris.');
    expect(basePane.textContent).toContain('12.5 tokens/s');
  });
});
