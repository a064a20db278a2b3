// Hash routing: the window and the served page both load one index.html, so
// the screen lives in the fragment (#/runs/abc) and survives a reload.

export type Screen = 'models' | 'datasets' | 'new' | 'runs' | 'chat' | 'export' | 'settings';

export interface Route {
  screen: Screen;
  /** Run id on #/runs/<id>, or the run to export/chat with. */
  id?: string;
  /** Second run id for #/runs/compare/<a>/<b>. */
  other?: string;
  compare?: boolean;
}

export const screens: { id: Screen; title: string; key: string }[] = [
  { id: 'models', title: 'Models', key: '1' },
  { id: 'datasets', title: 'Datasets', key: '2' },
  { id: 'new', title: 'New run', key: '3' },
  { id: 'runs', title: 'Runs', key: '4' },
  { id: 'chat', title: 'Chat', key: '5' },
  { id: 'export', title: 'Export', key: '6' },
  { id: 'settings', title: 'Settings', key: '7' },
];

const known = new Set<string>(screens.map((s) => s.id));

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const head = parts[0] ?? '';
  if (!known.has(head)) return { screen: 'models' };
  const screen = head as Screen;
  if (screen === 'runs' && parts[1] === 'compare') {
    return { screen, compare: true, id: parts[2], other: parts[3] };
  }
  return parts[1] ? { screen, id: parts[1] } : { screen };
}

export function formatRoute(r: Route): string {
  const enc = encodeURIComponent;
  if (r.screen === 'runs' && r.compare) {
    return ['#', 'runs', 'compare', ...(r.id ? [enc(r.id)] : []), ...(r.other ? [enc(r.other)] : [])].join('/');
  }
  return r.id ? `#/${r.screen}/${enc(r.id)}` : `#/${r.screen}`;
}
