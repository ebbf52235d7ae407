/**
 * A short memory of answered request ids, so a repeated request (a cloud retry, a broker redelivery
 * of a QoS 1 message) gets the first answer instead of running twice. The entry is made before the
 * command runs, so a duplicate arriving while the first still runs waits for the same answer.
 *
 * Bounded twice: entries older than the window are forgotten, and past `maxEntries` the oldest
 * settled entries go first (running ones are never evicted; there are at most maxInFlight of them).
 */
import type { CloudCommandResponse } from './schema.js';

interface Entry {
  readonly at: number;
  /** The request without transport fields: the same id with different content is not a repeat. */
  readonly fingerprint: string;
  readonly answer: Promise<CloudCommandResponse>;
  settled: boolean;
}

export class ResponseMemory {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** Read per use: the window follows a run-time config change. */
    private readonly windowMs: () => number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The remembered entry of `id` within the window, or undefined. */
  get(id: string): { fingerprint: string; answer: Promise<CloudCommandResponse> } | undefined {
    this.expire();
    return this.entries.get(id);
  }

  remember(id: string, fingerprint: string, answer: Promise<CloudCommandResponse>): void {
    this.expire();
    const entry: Entry = { at: this.now(), fingerprint, answer, settled: false };
    this.entries.delete(id);
    this.entries.set(id, entry);
    void answer.finally(() => {
      entry.settled = true;
    });
    if (this.entries.size <= this.maxEntries) return;
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      if (e.settled) this.entries.delete(key);
    }
  }

  /** Map order is insertion order, so the oldest entries are at the front. */
  private expire(): void {
    const cutoff = this.now() - this.windowMs();
    for (const [key, e] of this.entries) {
      if (e.at > cutoff) break;
      if (e.settled) this.entries.delete(key);
    }
  }
}
