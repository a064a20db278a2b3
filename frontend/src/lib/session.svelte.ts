// What the user chose on one screen and the next screens start from: the
// model picked on Models pre-fills Datasets' preview and the New run form,
// and so on. Kept in memory (and sessionStorage, so a reload keeps it).

import type { RunConfig } from './types';

const KEY = 'whetstone.session';

interface Saved {
  model: string;
  dataset: string;
  format: string;
  mapping: Record<string, string>;
  draft: RunConfig | null;
}

function load(): Saved {
  const empty: Saved = { model: '', dataset: '', format: '', mapping: {}, draft: null };
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? { ...empty, ...JSON.parse(raw) } : empty;
  } catch {
    return empty;
  }
}

class Session {
  model = $state('');
  dataset = $state('');
  format = $state('');
  mapping = $state<Record<string, string>>({});
  /** A run config handed to the New run screen (Duplicate). */
  draft = $state<RunConfig | null>(null);

  constructor() {
    const s = load();
    this.model = s.model;
    this.dataset = s.dataset;
    this.format = s.format;
    this.mapping = s.mapping;
    this.draft = s.draft;
  }

  save() {
    try {
      const s: Saved = { model: this.model, dataset: this.dataset, format: this.format, mapping: this.mapping, draft: this.draft };
      sessionStorage.setItem(KEY, JSON.stringify(s));
    } catch {
      /* storage may be disabled */
    }
  }
}

export const session = new Session();
