/** One line on a Chart. color may be a CSS variable name such as "--chart-1". */
export interface ChartSeries {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  points?: boolean;
}

/** Tick spacings for a step axis: 1, 2, 5, 10, 20, 50, ... */
export const STEP_INCRS: number[] = [];
for (let m = 1; m <= 1e7; m *= 10) STEP_INCRS.push(m, 2 * m, 5 * m);
