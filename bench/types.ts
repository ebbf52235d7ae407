/** One benchmark's printed figures; ratios are against a baseline measured in the same run. */
export interface BenchResult {
  readonly name: string;
  readonly figures: Record<string, number | string>;
}
