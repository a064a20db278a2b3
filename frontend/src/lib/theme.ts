// Theme: "system" follows the OS preference; light/dark force it. The choice
// is applied as data-theme on <html>, where the CSS variables switch.

import type { Themes } from './generated/contract';

/** A theme setting, as Go's workspace.Themes lists them. */
export type Theme = (typeof Themes)[number];

export function resolveTheme(theme: string | undefined, prefersDark: boolean): 'light' | 'dark' {
  if (theme === 'light' || theme === 'dark') return theme;
  return prefersDark ? 'dark' : 'light';
}

export function applyTheme(theme: string | undefined, doc: Document = document): 'light' | 'dark' {
  const prefersDark = typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches;
  const t = resolveTheme(theme, !!prefersDark);
  doc.documentElement.dataset.theme = t;
  try {
    localStorage.setItem('whetstone.theme', theme ?? 'system');
  } catch {
    /* storage may be disabled */
  }
  return t;
}

/** The theme to show before settings have loaded (avoids a flash). */
export function initialTheme(): string {
  try {
    return localStorage.getItem('whetstone.theme') ?? 'system';
  } catch {
    return 'system';
  }
}
