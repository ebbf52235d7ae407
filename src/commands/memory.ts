/**
 * A short memory of answered request ids, so a repeated request (a cloud retry, a broker redelivery
 * of a QoS 1 message) gets the first answer instead of running twice. The entry is made before the
 * command runs, so a duplicate arriving while the first still runs waits for the same answer.
 *
 * Bounded twice: entries older than the window are forgotten, and past `maxEntries` the oldest
 * settled entries go first (running ones are never evicted; there are at most maxInFlight of them).
 * Entries of commands that act (a write, a restart) are `kept`: a flood of read-only requests
 * cannot push them out within their window, so a retry of a write never writes twice. They are
 * evicted by size only past KEPT_LIMIT (then the oldest first), which bounds memory whatever comes.
 */
import type { CloudCommandResponse } from './schema.js';

/** Acting commands remembered at most (far above any real rate: writes are rare and must carry an expiry). */
export const KEPT_LIMIT = 20_000;

interface Entry {
  readonly at: number;
  /** Never evicted for size before KEPT_LIMIT. */
  readonly kept: boolean;
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

  remember(id: string, fingerprint: string, answer: Promise<CloudCommandResponse>, kept = false): void {
    this.expire();
    const entry: Entry = { at: this.now(), kept, fingerprint, answer, settled: false };
    this.entries.delete(id);
    this.entries.set(id, entry);
    void answer.finally(() => {
      entry.settled = true;
    });
    if (this.entries.size <= this.maxEntries) return;
    let keptCount = 0;
    for (const [key, e] of this.entries) {
      if (e.kept) keptCount++;
      else if (e.settled && this.entries.size > this.maxEntries) this.entries.delete(key);
    }
    if (keptCount <= KEPT_LIMIT) return;
    for (const [key, e] of this.entries) {
      if (keptCount <= KEPT_LIMIT) break;
      if (e.kept && e.settled) {
        this.entries.delete(key);
        keptCount--;
      }
    }
  }

  /** Puts back an answered acting command from the journal (at start, oldest first). */
  restore(id: string, fingerprint: string, at: number, answer: CloudCommandResponse): void {
    this.entries.set(id, { at, kept: true, fingerprint, answer: Promise.resolve(answer), settled: true });
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
