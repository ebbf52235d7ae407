/**
 * Broker state that survives a restart (retained messages, persistent sessions and their queued
 * QoS 1 messages, wills) in a LevelDB of its own under <gateway.dataDir>/broker.
 */
import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import levelPersistence from 'aedes-persistence-level';

export interface BrokerStore {
  readonly persistence: unknown;
  close(): Promise<void>;
}

/**
 * Opens the store. Retained messages under `volatilePrefix` (kept in memory, see volatile-retained.ts)
 * that an older version wrote to disk are deleted, so a subscriber never gets a stale copy twice.
 */
export async function openBrokerStore(dir: string, volatilePrefix?: string): Promise<BrokerStore> {
  await mkdir(dir, { recursive: true });
  const db = new Level(dir);
  await db.open();
  if (volatilePrefix !== undefined) await db.clear(retainedRange(volatilePrefix));
  return {
    persistence: levelPersistence(db),
    close: async () => {
      if (db.status === 'open' || db.status === 'opening') await db.close();
    },
  };
}

/** Keys aedes-persistence-level uses for retained messages on topics starting with `prefix` ('/'-terminated). */
function retainedRange(prefix: string): { gte: string; lt: string } {
  const key = `retained:${prefix}`;
  return { gte: key, lt: key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1) };
}
