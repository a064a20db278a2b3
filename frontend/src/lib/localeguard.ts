// WebKitGTK reports navigator.language as "C" when the process runs under
// the POSIX locale (LANG unset or LANG=C, common on servers and in CI), and
// Intl rejects "C" as a language tag. Libraries that format numbers at load
// time (uPlot does) would then throw before the app mounts, leaving a blank
// window. This module must be imported before any of them.
export function safeLanguage(lang: string | undefined): string | null {
  if (!lang) return 'en-US';
  try {
    new Intl.NumberFormat(lang);
    return null;
  } catch {
    return 'en-US';
  }
}

const replacement = typeof navigator !== 'undefined' ? safeLanguage(navigator.language) : null;
if (replacement) {
  Object.defineProperty(navigator, 'language', { value: replacement, configurable: true });
  Object.defineProperty(navigator, 'languages', { value: [replacement], configurable: true });
}
