// Number and time formatting shared by every screen, so "1.2 GiB" and
// "270M" look the same wherever they appear.

export function formatBytes(n: number | undefined | null): string {
  if (n == null || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** Parameter counts as model cards write them: 270M, 1.0B, 4.3B. */
export function formatParams(n: number | undefined | null): string {
  if (n == null || !Number.isFinite(n) || n <= 0) return '—';
  // 999.9M rounds to 1000M: it reads as the 1.0B a model card calls it.
  if (n >= 999.5e6) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

/** Durations: 45s, 3m 05s, 2h 07m. */
export function formatDuration(seconds: number | undefined | null): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Loss-like values: 4 significant digits, scientific when tiny. */
export function formatNumber(x: number | undefined | null, digits = 4): string {
  if (x == null || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(Math.max(0, digits - 2));
  return Number(x.toPrecision(digits)).toString();
}

export function formatInt(x: number | undefined | null): string {
  if (x == null || !Number.isFinite(x)) return '—';
  return Math.round(x).toLocaleString('en-US');
}

export function formatPercent(done: number, total: number): string {
  if (!total || total <= 0 || !Number.isFinite(done)) return '—';
  return `${Math.min(100, Math.max(0, (100 * done) / total)).toFixed(0)}%`;
}

/** A fraction in [0,1] for progress bars; 0 when the total is unknown. */
export function fraction(done: number | undefined, total: number | undefined): number {
  if (!done || !total || total <= 0) return 0;
  return Math.min(1, Math.max(0, done / total));
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/**
 * The end of a run id that tells runs apart: ids are
 * "20261206-214252-8d9afe" (runs.newID), so the random part after the last
 * dash. An id of another shape is shortened to its last 7 characters.
 */
export function shortRunId(id: string): string {
  const i = id.lastIndexOf('-');
  if (i >= 0 && i < id.length - 1) return id.slice(i + 1);
  return id.length > 7 ? id.slice(-7) : id;
}

/**
 * The one label of a run wherever a person picks or reads one: its name with
 * the short id ("gemma-demo · 8d9afe"), because two runs may share a name;
 * the bare id when the run has no name.
 */
export function runLabel(run: { id: string; name?: string | null }): string {
  const name = run.name?.trim();
  if (!name) return run.id;
  return `${name} · ${shortRunId(run.id)}`;
}
