/**
 * Appends to the durable queue that have not completed yet. Polls never wait for the disk while it
 * keeps up; once more than `limit` samples are waiting (the disk falls behind: a slow SD card, a
 * saturated machine), `track` hands the append back so the device runner waits for it before its
 * next cycle. Polling then slows to what the disk takes (overruns are counted) instead of samples
 * piling up in memory: memory stays bounded whatever the load.
 */
export class PendingAppends {
  private readonly inFlight = new Set<Promise<void>>();
  private samples = 0;

  constructor(private readonly limit: number) {}

  /** Samples accepted by the pipeline and not yet on disk. */
  get pendingSamples(): number {
    return this.samples;
  }

  /** Tracks one append of `count` samples; returns it when the caller should wait for it. */
  track(append: Promise<void>, count: number): Promise<void> | undefined {
    this.samples += count;
    const settled = append.finally(() => {
      this.samples -= count;
      this.inFlight.delete(settled);
    });
    this.inFlight.add(settled);
    return this.samples > this.limit ? settled : undefined;
  }

  /** Resolves once every tracked append settled (a clean stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  get size(): number {
    return this.inFlight.size;
  }
}
