/**
 * Test helper: checks what reached the cloud against the store-and-forward promise. Samples are
 * deduplicated by seq; the same seq must always carry the same sample.
 */
import assert from 'node:assert/strict';
import type { Collector } from './cloud-broker.js';
import { decodeBatch, type PayloadSample } from '../../src/northbound/payload.js';

/** Every sample of every data message received so far, in arrival order (duplicates included). */
export function arrivals(tap: Collector): PayloadSample[] {
  return tap.messages.flatMap((m) => decodeBatch(m.payload).samples);
}

export interface Deduped {
  /** By seq, ascending. */
  readonly unique: PayloadSample[];
  readonly duplicates: number;
}

/** Dedupes by seq, asserting that a replayed seq carries exactly the same sample. */
export function dedupe(samples: readonly PayloadSample[]): Deduped {
  const bySeq = new Map<number, PayloadSample>();
  let duplicates = 0;
  for (const s of samples) {
    const seen = bySeq.get(s.seq);
    if (seen === undefined) {
      bySeq.set(s.seq, s);
      continue;
    }
    duplicates += 1;
    assert.deepEqual(s, seen, `seq ${s.seq} was sent again with other content`);
  }
  return { unique: [...bySeq.values()].sort((a, b) => a.seq - b.seq), duplicates };
}

/** Seqs are exactly first..last without a gap, and each device's samples are in time order by seq. */
export function assertContiguousAndOrdered(unique: readonly PayloadSample[], first: number, last: number): void {
  const gaps: number[] = [];
  unique.forEach((s, i) => {
    if (s.seq !== first + i) gaps.push(first + i);
  });
  assert.deepEqual(gaps.slice(0, 10), [], `seqs ${first}..${last} without gaps`);
  assert.equal(unique.length, last - first + 1, `seqs ${first}..${last}: ${unique.length} unique samples`);
  const lastTs = new Map<string, number>();
  for (const s of unique) {
    const key = `${s.device}/${s.point}`;
    assert.ok(s.ts >= (lastTs.get(key) ?? -Infinity), `${key}: seq ${s.seq} is older than an earlier seq`);
    lastTs.set(key, s.ts);
  }
}
