/**
 * Retained latest values kept in memory, in front of the broker's disk persistence.
 *
 * The gateway republishes every point's latest value (retained) on each poll, under
 * `<ownTopicRoot>/devices/`. Writing each of those to the broker's LevelDB cost one put per sample
 * (at 10,000 points/s about half the gateway's CPU) for nothing: after a restart the first poll
 * publishes them again, and a value read before the restart is stale by then anyway. So retained
 * messages under that prefix live in a map (one entry per point, bounded by the configured points);
 * everything else (site apps' retained messages, sessions, wills) still goes to disk. Only the
 * gateway publishes under its own root (local clients may not), always at QoS 0.
 */
import { Readable } from 'node:stream';
import { topicMatches } from './topics.js';

/** What aedes hands to and reads from a persistence for retained messages. */
interface RetainedPacket {
  readonly cmd?: string;
  readonly topic: string;
  readonly payload: Buffer | string;
}

interface RetainedPersistence {
  storeRetained: (packet: RetainedPacket) => Promise<void>;
  createRetainedStream: (pattern: string) => Readable;
  createRetainedStreamCombi: (patterns: string[]) => Readable;
}

/**
 * A kept value whose payload is built only when a subscriber reads it: the gateway replaces every
 * point's latest value each poll, and most of them are never read before the next one.
 */
export interface LazyPayload {
  payload(): string;
}

type KeptValue = Buffer | string | LazyPayload;

function payloadOf(value: KeptValue): Buffer | string {
  return typeof value === 'string' || Buffer.isBuffer(value) ? value : value.payload();
}

/** The in-memory side of the retained store, for the gateway's own direct writes (no aedes publish). */
export interface VolatileStore {
  /** Keeps `value` as the retained message of `topic` (under the prefix). */
  set(topic: string, value: KeptValue): void;
}

/** What a new subscriber gets for a kept value (the gateway publishes latest values at QoS 0). */
interface Kept {
  readonly cmd: 'publish';
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly qos: 0;
  readonly retain: true;
}

/**
 * Wraps an aedes persistence (async API, aedes >= 1) so retained messages on topics starting with
 * `prefix` stay in memory; every other call goes to `persistence` unchanged.
 */
export function withVolatileRetained<T extends object>(persistence: T, prefix: string): { persistence: T; store: VolatileStore } {
  // topic -> payload only: an entry replaced every poll should leave as little as possible behind.
  const kept = new Map<string, KeptValue>();
  const inner = persistence as unknown as RetainedPersistence;
  const matching = function* (patterns: readonly string[]): Generator<Kept> {
    for (const pattern of patterns) {
      // A filter that cannot reach the prefix needs no walk over every point.
      if (!mayReach(pattern, prefix)) continue;
      for (const [topic, payload] of kept) if (topicMatches(pattern, topic)) yield { cmd: 'publish', topic, payload: payloadOf(payload), qos: 0, retain: true };
    }
  };
  const combined = (patterns: string[]): Readable => {
    const fromDisk = inner.createRetainedStreamCombi.call(persistence, patterns);
    return Readable.from((async function* () {
      yield* fromDisk;
      yield* matching(patterns);
    })());
  };
  const overrides: RetainedPersistence = {
    storeRetained: (packet) => {
      if (!packet.topic.startsWith(prefix)) return inner.storeRetained.call(persistence, packet);
      if (packet.payload.length === 0) kept.delete(packet.topic);
      else kept.set(packet.topic, packet.payload);
      return Promise.resolve();
    },
    createRetainedStream: (pattern) => combined([pattern]),
    createRetainedStreamCombi: combined,
  };
  const proxy = new Proxy(persistence, {
    get(target, prop, receiver) {
      if (prop === 'storeRetained' || prop === 'createRetainedStream' || prop === 'createRetainedStreamCombi') return overrides[prop];
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { persistence: proxy, store: { set: (topic, value) => void kept.set(topic, value) } };
}

/** False when no topic under `prefix` can match `filter` (compared level by level up to the prefix). */
export function mayReach(filter: string, prefix: string): boolean {
  const f = filter.split('/');
  const p = prefix.split('/').slice(0, -1); // the prefix ends with '/'
  for (let i = 0; i < p.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (level === undefined) return false;
    if (level !== '+' && level !== p[i]) return false;
  }
  return f.length > p.length;
}
