import type { RangeBin } from './types';

export interface Bar {
  x: number;
  y: number;
  w: number;
  h: number;
  count: number;
  label: string;
  over: boolean;
}

/**
 * Lays out bins as bars across width (by value range, so uneven bins keep
 * their proportions) scaled to the tallest bin; bins at or beyond marker
 * (the max length) are flagged.
 */
export function histogramBars(bins: RangeBin[], width: number, height: number, marker = 0) {
  const valid = bins.filter((b) => b.hi > b.lo);
  if (valid.length === 0) return { bars: [] as Bar[], min: 0, max: 0, markerX: null as number | null };
  const min = Math.min(...valid.map((b) => b.lo));
  const max = Math.max(...valid.map((b) => b.hi));
  const top = Math.max(1, ...valid.map((b) => b.count));
  const sx = width / (max - min);
  const bars: Bar[] = valid.map((b) => {
    const h = (b.count / top) * height;
    return {
      x: (b.lo - min) * sx,
      w: Math.max(1, (b.hi - b.lo) * sx - 1),
      y: height - h,
      h,
      count: b.count,
      label: `${b.lo}–${b.hi - 1} tokens`,
      over: marker > 0 && b.lo >= marker,
    };
  });
  const markerX = marker > min && marker < max ? (marker - min) * sx : null;
  return { bars, min, max, markerX };
}
