/**
 * One owner per physical bus. A `ModbusBus` wraps the one modbus-serial client of a serial port or
 * TCP connection and runs every request on it one at a time: writes first (priority lane), then
 * polls in arrival order, with the configured pause between requests. The unit id and timeout are
 * set on the client right before each transaction, under the bus's exclusive turn.
 *
 * RTU framing has no transaction id: bytes left over from an answer that came too late are
 * discarded before each request, so they can never be taken for the next answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Modbus from 'modbus-serial';

export type ModbusClient = InstanceType<typeof Modbus.default>;

export interface BusOptions {
  /** RTU frames (serial line or serial device server) rather than Modbus TCP (MBAP). */
  readonly rtuFramed: boolean;
  /** Silence between two requests, ms. */
  readonly pause: number;
}

interface Job {
  readonly unitId: number;
  readonly timeout: number;
  readonly task: (client: ModbusClient) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** modbus-serial's RTU ports (buffered serial, telnet) keep received bytes in `_buffer` (not in the .d.ts). */
interface RtuPortInternals {
  _buffer?: Buffer;
}

export class ModbusBus {
  private readonly urgent: Job[] = [];
  private readonly normal: Job[] = [];
  private running = false;
  private broken = false;
  private closed = false;
  private lastEnd = 0;
  private pauseMs: number;
  private jobs = 0;

  constructor(
    readonly key: string,
    private readonly client: ModbusClient,
    private readonly options: BusOptions,
  ) {
    this.pauseMs = options.pause;
  }

  get rtuFramed(): boolean {
    return this.options.rtuFramed;
  }

  /** Jobs run on this bus so far (each is one transaction, or a read-modify-write pair). */
  get completed(): number {
    return this.jobs;
  }

  /** Devices on one bus may ask for different pauses: the longest wins. */
  requestPause(ms: number): void {
    this.pauseMs = Math.max(this.pauseMs, ms);
  }

  isOpen(): boolean {
    return !this.broken && !this.closed && this.client.isOpen;
  }

  /**
   * Runs `task` with exclusive use of the client, addressed to `unitId`. `priority` jobs (writes)
   * go ahead of every queued poll.
   */
  run<T>(unitId: number, timeout: number, task: (client: ModbusClient) => Promise<T>, priority = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { unitId, timeout, task, resolve: resolve as (v: unknown) => void, reject };
      (priority ? this.urgent : this.normal).push(job);
      void this.pump();
    });
  }

  /** The connection can no longer be trusted: every device on it reconnects (a new bus is opened). */
  markBroken(): void {
    if (this.broken) return;
    this.broken = true;
    void this.close();
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      if (!this.client.isOpen) return resolve();
      this.client.close(() => resolve());
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.urgent.length + this.normal.length > 0) {
        const wait = this.lastEnd + this.pauseMs - performance.now();
        if (this.lastEnd > 0 && wait > 0) await sleep(wait);
        // Picked after the pause, so a write queued meanwhile still goes first.
        const job = this.urgent.shift() ?? this.normal.shift();
        if (job) await this.execute(job);
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(job: Job): Promise<void> {
    try {
      if (this.options.rtuFramed) discardStale(this.client);
      this.client.setID(job.unitId);
      this.client.setTimeout(job.timeout);
      job.resolve(await job.task(this.client));
    } catch (err) {
      job.reject(err);
    } finally {
      forgetSettled(this.client);
      this.jobs++;
      this.lastEnd = performance.now();
    }
  }
}

/** modbus-serial's transactions by id (not in the .d.ts). */
interface TransactionsInternals {
  _transactions?: Record<string, unknown>;
}

/**
 * modbus-serial keeps each transaction under its id after it settled, until the id comes round
 * again (256 ids on TCP): every entry keeps its last response alive through the finished promise.
 * At 100 devices that was ~20 MB of old responses. A job has the client to itself, so once it
 * ended nothing is in flight and every entry can go; a late answer to a timed-out request then
 * finds no transaction, which modbus-serial ignores (as it ignores one for a timed-out entry).
 * modbus-serial reads the table through the client at every access (and replaces it itself on
 * close), so a fresh empty object is the cheapest way to drop them (deleting keys one by one turned
 * the object into a dictionary at every job).
 */
function forgetSettled(client: ModbusClient): void {
  const internals = client as unknown as TransactionsInternals;
  if (internals._transactions !== undefined) internals._transactions = {};
}

function discardStale(client: ModbusClient): void {
  const port = (client as unknown as { _port?: RtuPortInternals })._port;
  if (port?._buffer && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
}
