/**
 * The buses of a gateway, by bus key (see connection.ts): the first device on a bus opens it, the
 * others share it, the last one to leave closes it. A bus that broke (TCP timeout, port closed) is
 * retired: the next device to connect opens a fresh one. Concurrent acquires of a bus being opened
 * wait for that one open: a port is never opened twice.
 */
import { ModbusBus, type BusOptions, type ModbusClient } from './bus.js';

export interface BusLease {
  readonly bus: ModbusBus;
  /** Idempotent; closes the bus when no device uses it any more. */
  release(): Promise<void>;
}

export interface BusStats {
  readonly key: string;
  /** Times the port or connection was opened since start. */
  readonly opens: number;
  /** Devices holding the current bus. */
  readonly users: number;
  readonly open: boolean;
}

interface Entry {
  users: number;
  readonly opening: Promise<ModbusBus>;
  bus?: ModbusBus;
}

export class BusRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly opens = new Map<string, number>();

  async acquire(key: string, open: () => Promise<ModbusClient>, options: BusOptions): Promise<BusLease> {
    let entry = this.entries.get(key);
    if (entry?.bus && !entry.bus.isOpen()) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) entry = this.create(key, open, options);
    const held = entry;
    held.users++;
    let bus: ModbusBus;
    try {
      bus = await held.opening;
    } catch (err) {
      held.users--;
      throw err;
    }
    bus.requestPause(options.pause);
    let released = false;
    return {
      bus,
      release: async () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users > 0) return;
        if (this.entries.get(key) === held) this.entries.delete(key);
        await bus.close();
      },
    };
  }

  stats(): BusStats[] {
    return [...this.opens].map(([key, opens]) => {
      const entry = this.entries.get(key);
      return { key, opens, users: entry?.users ?? 0, open: entry?.bus?.isOpen() ?? false };
    });
  }

  private create(key: string, open: () => Promise<ModbusClient>, options: BusOptions): Entry {
    this.opens.set(key, (this.opens.get(key) ?? 0) + 1);
    const opening = open().then((client) => new ModbusBus(key, client, options));
    const entry: Entry = { users: 0, opening };
    this.entries.set(key, entry);
    opening.then(
      (bus) => {
        entry.bus = bus;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry;
  }
}
