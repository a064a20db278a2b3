// @vitest-environment jsdom
import { render } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import PreviewRowView from './PreviewRowView.svelte';

const text = '<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n';
const enc = new TextEncoder();
const at = (s: string) => enc.encode(text.slice(0, text.indexOf(s))).length;

describe('preview row', () => {
  it('highlights the trained tokens in the rendered text', () => {
    const answer = at('Hello!');
    const tokens = [
      { id: 1, start: 0, end: answer, text: '', trainable: false },
      { id: 2, start: answer, end: enc.encode(text).length, text: '', trainable: true },
    ];
    const { getByTestId, getByText } = render(PreviewRowView, {
      row: { row: 3, text, tokens, trainable: 1, messages: [] },
      view: 'rendered',
    });
    const pre = getByTestId('rendered');
    expect(pre.textContent).toBe(text);
    const trained = pre.querySelectorAll('.trained');
    expect(trained).toHaveLength(1);
    expect(trained[0].textContent).toBe('Hello!<end_of_turn>\n');
    expect(pre.querySelector('.masked')!.textContent).toContain('user\nHi');
    expect(getByText('Row 3')).toBeTruthy();
    expect(getByText('2 tokens · 1 trained')).toBeTruthy();
  });

  it('shows messages by role, and a template error', () => {
    const { container, getByText } = render(PreviewRowView, {
      row: { row: 1, text: '', trainable: 0, error: 'roles must alternate', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] },
      view: 'messages',
    });
    expect(container.querySelectorAll('.msg.assistant')).toHaveLength(1);
    expect(getByText('roles must alternate')).toBeTruthy();
  });

  it('shows a preference pair: the prompt masked, then both answers side by side with their trained tokens', () => {
    const prompt = '<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n';
    const side = (answer: string, truncated = false) => {
      const t = prompt + answer;
      const p = enc.encode(prompt).length;
      return {
        text: t,
        tokens: [
          { id: 1, start: 0, end: p, text: '', trainable: false },
          { id: answer.length, start: p, end: enc.encode(t).length, text: '', trainable: true },
        ],
        trainable: 1,
        ...(truncated ? { truncated } : {}),
      };
    };
    const { getByTestId, getByLabelText } = render(PreviewRowView, {
      row: {
        row: 2,
        messages: [{ role: 'user', content: 'Hi' }],
        chosen: [{ role: 'assistant', content: 'Hello!' }],
        rejected: [{ role: 'assistant', content: 'Go away.' }],
        ...side('Hello!<end_of_turn>\n'),
        rejected_side: side('Go away.<end_of_turn>\n', true),
      },
      view: 'rendered',
    });
    const p = getByTestId('pair-prompt');
    expect(p.textContent).toBe(prompt);
    expect(p.querySelectorAll('.masked')).toHaveLength(1);
    expect(p.querySelector('.trained')).toBeNull();
    expect(getByTestId('pair-chosen').querySelector('.trained')!.textContent).toBe('Hello!<end_of_turn>\n');
    expect(getByTestId('pair-rejected').querySelector('.trained')!.textContent).toBe('Go away.<end_of_turn>\n');
    expect(getByLabelText('Chosen answer').textContent).toContain('2 tokens · 1 trained');
    expect(getByLabelText('Rejected answer').textContent).toContain('truncated');
    expect(getByLabelText('Chosen answer').textContent).not.toContain('truncated');
  });

  it("shows a pair's messages, and the template's refusal of it", () => {
    const { getByLabelText, getByText } = render(PreviewRowView, {
      row: {
        row: 5,
        text: '',
        trainable: 0,
        error: 'roles must alternate',
        messages: [{ role: 'user', content: 'Hi' }],
        chosen: [{ role: 'assistant', content: 'Hello!' }],
        rejected: [{ role: 'assistant', content: 'Go away.' }],
      },
      view: 'rendered',
    });
    expect(getByText('roles must alternate')).toBeTruthy();
    expect(getByLabelText('Chosen answer').textContent).toContain('Hello!');
    expect(getByLabelText('Rejected answer').textContent).toContain('Go away.');
    expect(getByText('Hi')).toBeTruthy();
  });
});
