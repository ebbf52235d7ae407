/**
 * One Modbus TCP connection to one device. Executes read plans request by request (one transaction
 * in flight per connection: the lock), decodes each point, and turns every failure into per-point
 * results instead of a rejected read.
 */
import type Modbus from 'modbus-serial';
import { ERROR_CODES, GatewayError } from '../../errors.js';
import { Mutex } from '../../util/mutex.js';
import type { BoundPoint, RawValue, ReadResult, Session } from '../types.js';
import { isBitTable, type ModbusAddress } from './address.js';
import { applyBit, decodeBits, decodeRegisters, encodeBit, encodeValue } from './codec.js';
import { mapModbusError, type MappedError } from './errors.js';
import { planReads, type ReadRequest } from './plan.js';
import { isIllegalAddress, splitRequest } from './split.js';

export type ModbusClient = InstanceType<typeof Modbus.default>;

export interface ModbusSessionOptions {
  readonly unitId: number;
  readonly maxGap: number;
}

export class ModbusSession implements Session<ModbusAddress> {
  private readonly lock = new Mutex();
  /** Per point list: the read plan, adapted after exception 02 splits (remembered for later cycles). */
  private readonly plans = new WeakMap<readonly BoundPoint<ModbusAddress>[], ReadRequest[]>();
  private broken = false;

  constructor(
    private readonly client: ModbusClient,
    private readonly options: ModbusSessionOptions,
  ) {}

  isOpen(): boolean {
    return !this.broken && this.client.isOpen;
  }

  read(points: readonly BoundPoint<ModbusAddress>[], signal: AbortSignal): Promise<ReadResult[]> {
    return this.lock.run(() => this.readLocked(points, signal));
  }

  private async readLocked(points: readonly BoundPoint<ModbusAddress>[], signal: AbortSignal): Promise<ReadResult[]> {
    const byName = new Map<string, ReadResult>();
    let failure: MappedError | undefined;
    const plan = this.planFor(points);
    for (const request of [...plan]) {
      if (failure === undefined && signal.aborted) failure = { code: ERROR_CODES.DEVICE_TIMEOUT, message: 'poll cycle aborted', fatal: false };
      if (failure !== undefined || !this.isOpen()) {
        const f = failure ?? { code: ERROR_CODES.DEVICE_DISCONNECTED, message: 'connection closed', fatal: true };
        for (const p of request.points) byName.set(p.name, { point: p.name, ok: false, code: f.code, message: f.message });
        continue;
      }
      const outcome = await this.executeAdaptive(request, plan);
      for (const r of outcome.results) byName.set(r.point, r);
      if (outcome.error?.fatal) {
        failure = outcome.error;
        this.broken = true;
      }
    }
    return points.map((p) => byName.get(p.name) ?? { point: p.name, ok: false, code: ERROR_CODES.INTERNAL, message: 'point missing from read plan' });
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
    try {
      const words = await this.readRaw(request);
      return { results: request.points.map((p) => decodePoint(p.name, p.address, words, p.offset)) };
    } catch (err) {
      const error = mapModbusError(err);
      return { results: request.points.map((p) => failed(p.name, error)), error, illegalAddress: isIllegalAddress(err) };
    }
  }

  private async readRaw(request: ReadRequest): Promise<ArrayLike<number> | ArrayLike<boolean>> {
    const { start, count } = request;
    switch (request.table) {
      case 'coil':
        return (await this.client.readCoils(start, count)).data;
      case 'discrete':
        return (await this.client.readDiscreteInputs(start, count)).data;
      case 'input':
        return checkLength((await this.client.readInputRegisters(start, count)).data, count);
      case 'holding':
        return checkLength((await this.client.readHoldingRegisters(start, count)).data, count);
    }
  }

  write(point: BoundPoint<ModbusAddress>, value: RawValue, _signal: AbortSignal): Promise<void> {
    return this.lock.run(async () => {
      const a = point.address;
      try {
        if (a.table === 'coil') await this.client.writeCoil(a.register, encodeBit(value, a));
        else if (a.table !== 'holding') throw new GatewayError(ERROR_CODES.WRITE_DENIED, `${a.table} table is read-only`);
        else if (a.bit !== undefined) await this.writeBit(a, value);
        else await this.writeWords(a.register, encodeValue(a, value));
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        const mapped = mapModbusError(err);
        if (mapped.fatal) this.broken = true;
        throw new GatewayError(mapped.code, `write of ${point.name} failed: ${mapped.message}`, { cause: err, retryable: true });
      }
    });
  }

  private async writeBit(a: ModbusAddress, value: RawValue): Promise<void> {
    const current = (await this.client.readHoldingRegisters(a.register, 1)).data[0] ?? 0;
    await this.client.writeRegister(a.register, applyBit(a, current, value));
  }

  private async writeWords(register: number, words: number[]): Promise<void> {
    if (words.length === 1) await this.client.writeRegister(register, words[0] ?? 0);
    else await this.client.writeRegisters(register, words);
  }

  close(): Promise<void> {
    this.broken = true;
    return new Promise((resolve) => {
      if (!this.client.isOpen) return resolve();
      this.client.close(() => resolve());
    });
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

function checkLength(data: number[], count: number): number[] {
  if (data.length < count) throw new Error(`bad response length: expected ${count} registers, got ${data.length}`);
  return data;
}

function decodePoint(name: string, address: ModbusAddress, words: ArrayLike<number> | ArrayLike<boolean>, offset: number): ReadResult {
  try {
    const value = isBitTable(address.table)
      ? decodeBits(words as ArrayLike<boolean>, offset)
      : decodeRegisters(address, words as ArrayLike<number>, offset);
    return { point: name, ok: true, value };
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : ERROR_CODES.DECODE_FAILED;
    return { point: name, ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}
