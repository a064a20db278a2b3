// What the user chose on one screen and the next screens start from: the
// model picked on Models pre-fills Datasets' preview and the New run form,
// and so on. The picks are kept in localStorage, so a new tab or a restart
// starts from them; where this browser has none (first visit, another
// browser), fillFromRecents takes the workspace's most recent model and
// dataset. The draft handed from Duplicate to New run is one navigation's
// hand-off, so it stays in sessionStorage: a new tab must not open a stale
// draft.

import type { Recents } from './generated/contract';
import { startingPick } from './picker';
import type { RunConfig } from './types';

const KEY = 'whetstone.session';
const DRAFT_KEY = 'whetstone.draft';

interface Picks {
  model: string;
  dataset: string;
  format: string;
  mapping: Record<string, string>;
}

function read(storage: () => Storage, key: string): unknown {
  try {
    const raw = storage().getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null; // storage disabled, or a damaged value
  }
}

function write(storage: () => Storage, key: string, value: unknown) {
  try {
    if (value == null) storage().removeItem(key);
    else storage().setItem(key, JSON.stringify(value));
  } catch {
    /* storage may be disabled or full */
  }
}

function loadPicks(): Picks {
  const empty: Picks = { model: '', dataset: '', format: '', mapping: {} };
  // Earlier versions kept the picks in sessionStorage: a reload after the
  // upgrade keeps them.
  const saved = read(() => localStorage, KEY) ?? read(() => sessionStorage, KEY);
  if (!saved || typeof saved !== 'object') return empty;
  const s = saved as Partial<Picks>;
  return {
    model: typeof s.model === 'string' ? s.model : '',
    dataset: typeof s.dataset === 'string' ? s.dataset : '',
    format: typeof s.format === 'string' ? s.format : '',
    mapping: s.mapping && typeof s.mapping === 'object' ? s.mapping : {},
  };
}

class Session {
  model = $state('');
  dataset = $state('');
  format = $state('');
  mapping = $state<Record<string, string>>({});
  /** A run config handed to the New run screen (Duplicate). */
  draft = $state<RunConfig | null>(null);

  constructor() {
    this.reload();
  }

  /** Reads the saved picks again (tests, or another tab's changes). */
  reload() {
    const s = loadPicks();
    this.model = s.model;
    this.dataset = s.dataset;
    this.format = s.format;
    this.mapping = s.mapping;
    this.draft = (read(() => sessionStorage, DRAFT_KEY) as RunConfig | null) ?? null;
  }

  save() {
    const picks: Picks = { model: this.model, dataset: this.dataset, format: this.format, mapping: this.mapping };
    write(() => localStorage, KEY, picks);
    write(() => sessionStorage, DRAFT_KEY, this.draft);
  }

  /**
   * Fills an empty model or dataset with the workspace's most recent one.
   * A failure to read the recents leaves the session as it is: the
   * screens work without them.
   */
  async fillFromRecents(load: () => Promise<Recents>): Promise<void> {
    if (this.model && this.dataset) return;
    let recents: Recents;
    try {
      recents = await load();
    } catch {
      return;
    }
    const model = startingPick(this.model, recents, 'models');
    const dataset = startingPick(this.dataset, recents, 'datasets');
    if (model === this.model && dataset === this.dataset) return;
    this.model = model;
    this.dataset = dataset;
    this.save();
  }
}

export const session = new Session();
