/**
 * Drift-free periodic ticks: each tick is armed against a fixed schedule (start + k * interval), so
 * lateness never accumulates the way it does with setInterval. Ticks that fell due while the
 * process was busy are skipped and counted, not fired in a burst.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private k = 0;
  /** Ticks skipped because the process could not run them on time. */
  missed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly onTick: (scheduledAt: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer) return;
    this.origin = this.now();
    this.k = 0;
    this.fire();
  }

  private fire(): void {
    const scheduledAt = this.origin + this.k * this.intervalMs;
    this.onTick(scheduledAt);
    this.arm();
  }

  private arm(): void {
    const now = this.now();
    let next = this.k + 1;
    const due = Math.floor((now - this.origin) / this.intervalMs);
    if (due >= next) {
      this.missed += due - next + 1;
      next = due + 1;
    }
    this.k = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.origin + next * this.intervalMs - now));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
