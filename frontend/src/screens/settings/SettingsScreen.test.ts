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
      'Settings.Get': () => ({ backend: 'go', xla_plugin_path: '', theme: 'system', has_token: false, allowed_folders: [], local_only: false }),
      'System.Info': () => ({ version: '1.0', workspace: '/home/u/.local/share/whetstone', backend: 'go (pure Go, CPU)', os: 'linux', arch: 'amd64', cpus: 8 }),
      'Settings.Save': (s) => {
        const v = s as { backend: string; xla_plugin_path: string; theme: string; allowed_folders: string[]; hub_token?: string };
        if (v.backend === 'xla' && v.xla_plugin_path === '/nope.so') throw new Error('settings: xla_plugin_path /nope.so: no such file or directory');
        return { backend: v.backend, xla_plugin_path: v.xla_plugin_path, theme: v.theme, allowed_folders: v.allowed_folders, has_token: !!v.hub_token, local_only: false };
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
    expect(fake.calls.find((c) => c.name === 'Settings.Save')!.args[0]).toEqual({ backend: 'go', xla_plugin_path: '', hub_token: 'hf_x', theme: 'dark', allowed_folders: [] });
    // The token is write-only: once saved the field is empty again and says so.
    expect(((screen.getByLabelText('Hugging Face token')) as HTMLInputElement).value).toBe('');
    expect(((screen.getByLabelText('Hugging Face token')) as HTMLInputElement).placeholder).toBe('saved (hidden)');

    // The plugin path field appears only for XLA; a bad path is reported.
    expect(screen.queryByLabelText('XLA plugin path')).toBeNull();
    await fireEvent.change(screen.getByLabelText('Compute backend'), { target: { value: 'xla' } });
    await fireEvent.input(await screen.findByLabelText('XLA plugin path'), { target: { value: '/nope.so' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('/nope.so: no such file'));
  });

  it('over HTTP shows the allowed folders and plugin path read-only', async () => {
    const fake = fakeTransport({
      'Settings.Get': () => ({ backend: 'xla', xla_plugin_path: '/opt/pjrt.so', theme: 'system', has_token: true, allowed_folders: ['/data'], local_only: true }),
      'System.Info': () => ({ version: '1.0', workspace: '/w', backend: 'go', os: 'linux', arch: 'amd64', cpus: 2 }),
    });
    setTransport(fake.t);
    render(SettingsScreen, { onsaved: vi.fn() });
    expect(((await screen.findByLabelText('XLA plugin path')) as HTMLInputElement).readOnly).toBe(true);
    expect(screen.getByText('/data')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add' })).toBeNull();
    expect(screen.getByText(/whetstone settings allow DIR/)).toBeTruthy();
    // Programs are pointed at the API reference and the OpenAI base URL.
    expect((await screen.findByRole('link', { name: 'the API reference' })).getAttribute('href')).toBe('/api/docs/');
    expect(screen.getByTestId('openai-base').textContent).toBe(`${location.origin}/v1`);
  });

  it('adds and removes allowed folders in the desktop window', async () => {
    const fake = fakeTransport({
      'Settings.Get': () => ({ backend: 'go', xla_plugin_path: '', theme: 'system', has_token: false, allowed_folders: ['/old'], local_only: false }),
      'System.Info': () => ({ version: '1.0', workspace: '/w', backend: 'go', os: 'linux', arch: 'amd64', cpus: 2 }),
      'Settings.Save': (s) => ({ ...(s as object), has_token: false, local_only: false }),
    });
    setTransport(fake.t);
    render(SettingsScreen, { onsaved: vi.fn() });
    await fireEvent.input(await screen.findByLabelText('Allowed folders'), { target: { value: '/home/me/data' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Remove /old' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    expect((fake.calls.find((c) => c.name === 'Settings.Save')!.args[0] as { allowed_folders: string[] }).allowed_folders).toEqual(['/home/me/data']);
  });
});
