/** One line on a Chart. color may be a CSS variable name such as "--chart-1". */
export interface ChartSeries {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  points?: boolean;
}
