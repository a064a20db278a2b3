// A run's preparation before its first step (Runs.Prep, "run.prep"), as
// the New run and run pages show it instead of a bare "Waiting for the
// first step…".

import { formatInt } from './format';
import type { PrepEvent, PrepStage } from './generated/contract';

const stageTitles: Record<PrepStage, string> = {
  reading: 'Reading the data',
  tokenizing: 'Tokenizing',
  batching: 'Batching the examples',
  loading: 'Loading the model',
  compiling: 'Compiling the training step',
};

/** The stages in their order (Go's executor.PrepStages). */
export const prepOrder = Object.keys(stageTitles) as PrepStage[];

export interface PrepView {
  /** "Step 2 of 5: Tokenizing" */
  title: string;
  /** "12,000 of 30,000 rows", or '' where the stage counts nothing. */
  detail: string;
  done: number;
  total: number;
}

/** What to show for a preparation report; null when there is none. */
export function prepView(p: Pick<PrepEvent, 'stage' | 'done' | 'total'> | null | undefined): PrepView | null {
  if (!p || !(p.stage in stageTitles)) return null;
  const i = prepOrder.indexOf(p.stage);
  const title = `Step ${i + 1} of ${prepOrder.length}: ${stageTitles[p.stage]}`;
  let detail = '';
  if (p.stage === 'tokenizing') {
    detail = p.total > 0 ? `${formatInt(p.done)} of ${formatInt(p.total)} rows` : `${formatInt(p.done)} rows`;
  } else if (p.stage === 'batching' && p.total > 0) {
    detail = `${formatInt(p.total)} examples`;
  }
  return { title, detail, done: p.done, total: p.total };
}
