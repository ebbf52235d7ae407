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

export async function openBrokerStore(dir: string): Promise<BrokerStore> {
  await mkdir(dir, { recursive: true });
  const db = new Level(dir);
  await db.open();
  return {
    persistence: levelPersistence(db),
    close: async () => {
      if (db.status === 'open' || db.status === 'opening') await db.close();
    },
  };
}
