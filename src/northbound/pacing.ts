/**
 * Backlog pacing for "live first": a token bucket of samples per second. The bucket holds at most
 * one second of tokens (or one batch, whichever is larger), so an idle spell does not turn into a
 * burst that would crowd out live samples. Rate 0 = no limit.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = this.capacity;
    this.last = this.now();
  }

  get unlimited(): boolean {
    return this.ratePerS <= 0;
  }

  private get capacity(): number {
    return Math.max(this.burst, this.ratePerS);
  }

  /** Takes `n` tokens if there are that many; otherwise takes none and returns false. */
  take(n: number): boolean {
    if (this.unlimited) return true;
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Gives back tokens taken for samples that were not there. */
  refund(n: number): void {
    if (this.unlimited || n <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + n);
  }

  /** How long until `n` tokens are there, ms. */
  waitMs(n: number): number {
    if (this.unlimited) return 0;
    this.refill();
    return Math.max(1, Math.ceil(((n - this.tokens) / this.ratePerS) * 1000));
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.ratePerS);
    this.last = t;
  }
}
