// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from './lib/api';
import App from './App.svelte';

afterEach(() => {
  setTransport(null);
  location.hash = '';
});

describe('app', () => {
  it('shows the access token screen when the server answers 401', async () => {
    // No transport set: the app builds the HTTP one itself, wired to its
    // 401 listener, exactly as in a browser.
    setTransport(null);
    Object.defineProperty(window, 'fetch', {
      value: async () => new Response(JSON.stringify({ error: 'access token required' }), { status: 401 }),
      configurable: true,
    });
    render(App);
    expect(await screen.findByRole('heading', { name: 'Access token required' })).toBeTruthy();
    expect(screen.getByLabelText('Access token')).toBeTruthy();
  });

  it('shows the navigation and switches screens with Alt+number', async () => {
    Object.defineProperty(window, 'fetch', {
      value: async (url: string) => {
        const body = url.endsWith('/System/Info')
          ? { version: '1.2.3', backend: 'go (pure Go, CPU)', workspace: '/ws' }
          : url.endsWith('/Settings/Get')
            ? { backend: 'go', theme: 'dark', xla_plugin_path: '', has_token: false, allowed_folders: [], local_only: true }
            : [];
        return new Response(JSON.stringify(body), { status: 200 });
      },
      configurable: true,
    });
    render(App);
    expect(await screen.findByText('v1.2.3')).toBeTruthy();
    expect(document.documentElement.dataset.theme).toBe('dark');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '7', altKey: true }));
    await new Promise((r) => setTimeout(r, 0));
    expect(location.hash).toBe('#/settings');
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
  });
});
