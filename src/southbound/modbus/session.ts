/**
 * One device (one unit id) on a bus. Executes read plans request by request through the bus
 * scheduler (one transaction at a time per bus, writes first), decodes each point, and turns every
 * failure into per-point results instead of a rejected read.
 *
 * After a timeout the rest of the device's cycle is failed without being sent, so a dead device
 * costs the bus at most one timeout per cycle. On RTU framing a timeout or a garbled answer only
 * fails the request (stale bytes are discarded before the next one); on Modbus TCP it retires the
 * connection, since a late answer could otherwise pair with a later request.
 */
import { ERROR_CODES, GatewayError } from '../../errors.js';
import type { BoundPoint, RawValue, ReadResult, Session } from '../types.js';
import { isBitTable, type ModbusAddress } from './address.js';
import { applyBit, decodeBits, decodeRegistersFast, encodeBit, encodeValue } from './codec.js';
import { mapModbusError, type MappedError } from './errors.js';
import { planReads, type ReadRequest } from './plan.js';
import { isIllegalAddress, splitRequest } from './split.js';
import type { ModbusClient } from './bus.js';
import type { BusLease } from './bus-registry.js';
import { checkRawRead, type RawReadRequest, type RawReader } from './raw-read.js';

export type { ModbusClient } from './bus.js';

export interface ModbusSessionOptions {
  readonly unitId: number;
  readonly maxGap: number;
  /** Extra attempts of a request that timed out or was garbled while the bus stays open. */
  readonly retries?: number;
  /** FC15/FC16 for single coils and registers. */
  readonly writeMultiple?: boolean;
  /** Per request timeout, ms. */
  readonly timeout: number;
}

export class ModbusSession implements Session<ModbusAddress>, RawReader {
  /** Per point list: the read plan, adapted after exception 02 splits (remembered for later cycles). */
  private readonly plans = new WeakMap<readonly BoundPoint<ModbusAddress>[], ReadRequest[]>();
  /** Per point list: each point's position by name, so a cycle files results without a Map of its own. */
  private readonly positions = new WeakMap<readonly BoundPoint<ModbusAddress>[], ReadonlyMap<string, number>>();
  private closed = false;

  constructor(
    private readonly lease: BusLease,
    private readonly options: ModbusSessionOptions,
  ) {}

  isOpen(): boolean {
    return !this.closed && this.lease.bus.isOpen();
  }

  /** Runs one job on the bus, addressed to this device. */
  private onBus<T>(task: (client: ModbusClient) => Promise<T>, priority = false): Promise<T> {
    return this.lease.bus.run(this.options.unitId, this.options.timeout, task, priority);
  }

  /** Maps a failure; a fatal one retires the bus (every device on it reconnects). */
  private classify(err: unknown): MappedError {
    const mapped = mapModbusError(err);
    const fatal = this.lease.bus.rtuFramed ? mapped.code === ERROR_CODES.DEVICE_DISCONNECTED : mapped.fatal;
    if (fatal) this.lease.bus.markBroken();
    return { ...mapped, fatal };
  }

  async read(points: readonly BoundPoint<ModbusAddress>[], signal: AbortSignal): Promise<ReadResult[]> {
    const position = this.positionsOf(points);
    const filed = new Array<ReadResult | undefined>(points.length);
    let failure: MappedError | undefined;
    const plan = this.planFor(points);
    for (const request of [...plan]) {
      if (failure === undefined && signal.aborted) failure = { code: ERROR_CODES.DEVICE_TIMEOUT, message: 'poll cycle aborted', fatal: false };
      if (failure !== undefined || !this.isOpen()) {
        const f = failure ?? { code: ERROR_CODES.DEVICE_DISCONNECTED, message: 'connection closed', fatal: true };
        fileAll(filed, position, request.points.map((p): ReadResult => ({ point: p.name, ok: false, code: f.code, message: f.message })));
        continue;
      }
      const outcome = await this.executeAdaptive(request, plan);
      fileAll(filed, position, outcome.results, request);
      // A fatal error or a timeout ends the cycle: the device costs the bus at most one timeout.
      if (outcome.error?.fatal || outcome.error?.code === ERROR_CODES.DEVICE_TIMEOUT) failure = outcome.error;
    }
    for (let i = 0; i < filed.length; i++) {
      filed[i] ??= { point: (points[i] as BoundPoint<ModbusAddress>).name, ok: false, code: ERROR_CODES.INTERNAL, message: 'point missing from read plan' };
    }
    return filed as ReadResult[];
  }

  private positionsOf(points: readonly BoundPoint<ModbusAddress>[]): ReadonlyMap<string, number> {
    let position = this.positions.get(points);
    if (!position) {
      position = new Map(points.map((p, i) => [p.name, i]));
      this.positions.set(points, position);
    }
    return position;
  }

  private planFor(points: readonly BoundPoint<ModbusAddress>[]): ReadRequest[] {
    let plan = this.plans.get(points);
    if (!plan) {
      plan = [...planReads(points.map((p) => ({ name: p.name, unitId: this.options.unitId, address: p.address })), { maxGap: this.options.maxGap })];
      this.plans.set(points, plan);
    }
    return plan;
  }

  /**
   * Executes a request; on exception 02 for a request of several points, splits it until only the
   * offending points fail, and replaces it in `plan` by the pieces, so later cycles do not repeat it.
   */
  private async executeAdaptive(request: ReadRequest, plan: ReadRequest[]): Promise<Outcome> {
    const outcome = await this.execute(request);
    if (!outcome.illegalAddress || request.points.length < 2) return outcome;
    const leaves: ReadRequest[] = [];
    const results: ReadResult[] = [];
    for (const part of splitRequest(request, this.options.unitId)) {
      const partPlan = [part]; // executeAdaptive replaces `part` in here by its pieces if it splits again
      const sub = await this.executeAdaptive(part, partPlan);
      results.push(...sub.results);
      leaves.push(...partPlan);
      if (sub.error?.fatal) {
        const done = new Set(results.map((r) => r.point));
        const rest = request.points.filter((p) => !done.has(p.name)).map((p) => failed(p.name, sub.error));
        return { results: [...results, ...rest], error: sub.error };
      }
    }
    const at = plan.indexOf(request);
    if (at >= 0) plan.splice(at, 1, ...leaves);
    return { results };
  }

  private async execute(request: ReadRequest): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        const words = await this.onBus((client) => readRaw(client, request));
        return { results: request.points.map((p) => decodePoint(p.name, p.address, words, p.offset)) };
      } catch (err) {
        const error = this.classify(err);
        if (this.retryable(error, attempt)) continue;
        return { results: request.points.map((p) => failed(p.name, error)), error, illegalAddress: isIllegalAddress(err) };
      }
    }
  }

  /** Timeouts and garbled answers are tried again while the bus is still usable (RTU lines). */
  private retryable(error: MappedError, attempt: number): boolean {
    if (error.fatal || attempt >= (this.options.retries ?? 0) || !this.isOpen()) return false;
    return error.code === ERROR_CODES.DEVICE_TIMEOUT || error.code === ERROR_CODES.DEVICE_BAD_RESPONSE;
  }

  /** Writes go through the bus's priority lane, ahead of queued polls. */
  async write(point: BoundPoint<ModbusAddress>, value: RawValue, _signal: AbortSignal, notAfter?: number): Promise<void> {
    const a = point.address;
    if (a.table !== 'coil' && a.table !== 'holding') throw new GatewayError(ERROR_CODES.WRITE_DENIED, `${a.table} table is read-only`);
    if (!this.isOpen()) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `write of ${point.name} failed: connection closed`, { retryable: true });
    try {
      await this.onBus((client) => {
        // Checked when the bus gets to the write: it may have waited behind a slow transaction.
        const late = notAfter === undefined ? 0 : Date.now() - notAfter;
        if (notAfter !== undefined && late >= 0) {
          return Promise.reject(new GatewayError(ERROR_CODES.COMMAND_EXPIRED, `write of ${point.name} expired ${late} ms ago while waiting for the bus: not written`));
        }
        return writePoint(client, a, value, this.options.writeMultiple ?? false);
      }, true);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const mapped = this.classify(err);
      throw new GatewayError(mapped.code, `write of ${point.name} failed: ${mapped.message}`, { cause: err, retryable: true });
    }
  }

  get unitId(): number {
    return this.options.unitId;
  }

  /**
   * One raw request for diagnosis, queued on the bus like a poll (never two transactions at once),
   * with this device's unit id, timeout and retries. Failures are GatewayErrors with the stable
   * device codes (timeout, exception, bad response, disconnected); a fatal one retires the bus.
   */
  async readRaw(input: RawReadRequest, signal: AbortSignal): Promise<number[] | boolean[]> {
    const request = checkRawRead(input);
    const what = `raw read of ${request.table} ${request.address}..${request.address + request.count - 1}`;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${what}: the device is stopping`, { retryable: true });
      if (!this.isOpen()) throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `${what}: connection closed`, { retryable: true });
      try {
        return await this.onBus((client) => readBlock(client, request.table, request.address, request.count));
      } catch (err) {
        const error = this.classify(err);
        if (this.retryable(error, attempt)) continue;
        const detail = error.code === ERROR_CODES.DEVICE_EXCEPTION ? { modbusCode: (err as { modbusCode?: number }).modbusCode } : undefined;
        throw new GatewayError(error.code, `${what}: ${error.message}`, { cause: err, retryable: error.code !== ERROR_CODES.DEVICE_EXCEPTION, ...(detail ? { detail } : {}) });
      }
    }
  }

  /** Leaves the bus; the last device to leave closes it. */
  close(): Promise<void> {
    this.closed = true;
    return this.lease.release();
  }
}

function readRaw(client: ModbusClient, request: ReadRequest): Promise<ArrayLike<number> | ArrayLike<boolean>> {
  return readBlock(client, request.table, request.start, request.count);
}

async function readBlock(client: ModbusClient, table: ReadRequest['table'], start: number, count: number): Promise<number[] | boolean[]> {
  switch (table) {
    case 'coil':
      return checkLength((await client.readCoils(start, count)).data, count);
    case 'discrete':
      return checkLength((await client.readDiscreteInputs(start, count)).data, count);
    case 'input':
      return checkLength((await client.readInputRegisters(start, count)).data, count);
    case 'holding':
      return checkLength((await client.readHoldingRegisters(start, count)).data, count);
  }
}

/** One bus job: a bit of a holding register is a read-modify-write, so both run in the same turn. */
async function writePoint(client: ModbusClient, a: ModbusAddress, value: RawValue, multiple: boolean): Promise<void> {
  if (a.table === 'coil') {
    const bit = encodeBit(value, a);
    // FC5, or FC15 for devices that implement only the multiple-coil write.
    if (multiple) await client.writeCoils(a.register, [bit]);
    else await client.writeCoil(a.register, bit);
    return;
  }
  let words: number[];
  if (a.bit !== undefined) {
    const current = (await client.readHoldingRegisters(a.register, 1)).data[0] ?? 0;
    words = [applyBit(a, current, value)];
  } else {
    words = encodeValue(a, value);
  }
  // FC6 for one register, FC16 for several (or always, for devices without FC6).
  if (words.length === 1 && !multiple) await client.writeRegister(a.register, words[0] ?? 0);
  else await client.writeRegisters(a.register, words);
}

/** Each point's position in the cycle's point list, per planned request (see fileAll). */
const requestPositions = new WeakMap<ReadRequest, Int32Array>();

/**
 * Files results by their point's position. A request answered whole (results in the order of its
 * points, as `execute` gives them) uses positions worked out once per request; results of a split
 * request come by name.
 */
function fileAll(filed: (ReadResult | undefined)[], position: ReadonlyMap<string, number>, results: readonly ReadResult[], request?: ReadRequest): void {
  const points = request?.points;
  if (points !== undefined && points.length === results.length) {
    let at = requestPositions.get(request as ReadRequest);
    if (at === undefined) {
      at = Int32Array.from(points, (p) => position.get(p.name) ?? -1);
      requestPositions.set(request as ReadRequest, at);
    }
    let inOrder = true;
    for (let j = 0; j < results.length && inOrder; j++) inOrder = (results[j] as ReadResult).point === (points[j] as ReadRequest['points'][number]).name;
    if (inOrder) {
      for (let j = 0; j < results.length; j++) {
        const i = at[j] ?? -1;
        if (i >= 0) filed[i] = results[j];
      }
      return;
    }
  }
  for (const r of results) {
    const i = position.get(r.point);
    if (i !== undefined) filed[i] = r;
  }
}

interface Outcome {
  readonly results: ReadResult[];
  readonly error?: MappedError;
  readonly illegalAddress?: boolean;
}

function failed(point: string, error: MappedError | undefined): ReadResult {
  return { point, ok: false, code: error?.code ?? ERROR_CODES.INTERNAL, message: error?.message ?? 'request failed' };
}

function checkLength<T>(data: T[], count: number): T[] {
  if (data.length < count) throw new Error(`bad response length: expected ${count} registers, got ${data.length}`);
  return data;
}

function decodePoint(name: string, address: ModbusAddress, words: ArrayLike<number> | ArrayLike<boolean>, offset: number): ReadResult {
  try {
    const value = isBitTable(address.table)
      ? decodeBits(words as ArrayLike<boolean>, offset)
      : decodeRegistersFast(address, words as ArrayLike<number>, offset);
    return { point: name, ok: true, value };
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : ERROR_CODES.DECODE_FAILED;
    return { point: name, ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}
