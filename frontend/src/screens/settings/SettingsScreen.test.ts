// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../lib/api';
import { fakeTransport } from '../../test/fakeTransport';
import SettingsScreen from './SettingsScreen.svelte';

afterEach(() => setTransport(null));

describe('settings screen', () => {
  it('saves the form, applies the theme, and shows Go validation errors', async () => {
    const fake = fakeTransport({
      'Settings.Get': () => ({ backend: 'go', xla_plugin_path: '', hub_token: '', theme: 'system' }),
      'System.Info': () => ({ version: '1.0', workspace: '/home/u/.local/share/whetstone', backend: 'go (pure Go, CPU)', os: 'linux', arch: 'amd64', cpus: 8 }),
      'Settings.Save': (s) => {
        const v = s as { backend: string; xla_plugin_path: string };
        if (v.backend === 'xla' && v.xla_plugin_path === '/nope.so') throw new Error('settings: xla_plugin_path /nope.so: no such file or directory');
        return s;
      },
    });
    setTransport(fake.t);
    const onsaved = vi.fn();
    render(SettingsScreen, { onsaved });
    expect(((await screen.findByLabelText('Workspace folder')) as HTMLInputElement).value).toBe('/home/u/.local/share/whetstone');

    await fireEvent.change(screen.getByLabelText('Theme'), { target: { value: 'dark' } });
    await fireEvent.input(screen.getByLabelText('Hugging Face token'), { target: { value: 'hf_x' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    expect(onsaved).toHaveBeenCalledWith('dark');
    expect(fake.calls.find((c) => c.name === 'Settings.Save')!.args[0]).toEqual({ backend: 'go', xla_plugin_path: '', hub_token: 'hf_x', theme: 'dark' });

    // The plugin path field appears only for XLA; a bad path is reported.
    expect(screen.queryByLabelText('XLA plugin path')).toBeNull();
    await fireEvent.change(screen.getByLabelText('Compute backend'), { target: { value: 'xla' } });
    await fireEvent.input(await screen.findByLabelText('XLA plugin path'), { target: { value: '/nope.so' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('/nope.so: no such file'));
  });
});
