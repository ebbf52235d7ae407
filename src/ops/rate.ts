/** Events per second over a sliding window of whole seconds, from per-second buckets (constant memory). */
export class RateMeter {
  private readonly buckets = new Map<number, number>();
  private firstSecond: number | undefined;

  constructor(
    private readonly windowS: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(n: number): void {
    const second = Math.floor(this.now() / 1000);
    this.firstSecond ??= second;
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + n);
    this.prune(second);
  }

  /** Average over the last complete seconds (the current, partial second is left out). */
  perSecond(): number {
    const second = Math.floor(this.now() / 1000);
    this.prune(second);
    if (this.firstSecond === undefined) return 0;
    const span = Math.min(this.windowS, second - this.firstSecond);
    if (span <= 0) return 0;
    let total = 0;
    for (const [s, n] of this.buckets) if (s < second && s >= second - span) total += n;
    return total / span;
  }

  private prune(second: number): void {
    for (const s of this.buckets.keys()) if (s < second - this.windowS) this.buckets.delete(s);
  }
}
