/**
 * The local command API on the embedded broker. A client publishes a JSON request on
 * `<prefix>/<gateway>/commands/request`:
 *
 *   { "id": "c-17", "command": "write", "device": "agv-01", "point": "max_speed", "value": 1.2 }
 *   { "id": "c-18", "command": "read", "device": "agv-01", "point": "battery_pct" }
 *
 * and the gateway answers on `<prefix>/<gateway>/commands/response/<id>` (or on the request's
 * `responseTopic`, which must lie below that root, so a client cannot make the gateway publish
 * elsewhere): `{ "id", "ok": true, "result": <latest value> }` or `{ "id", "ok": false, "code",
 * "message" }`. Writes go through Gateway.write: the same safety rules as cloud commands.
 * A request that is not JSON or has no usable id cannot be answered: it is counted and logged once.
 */
import type { Logger } from 'pino';
import { errorMessage, ERROR_CODES, GatewayError, isGatewayError } from '../errors.js';
import type { Sample } from '../model/sample.js';
import type { Subscribe } from '../southbound/mqtt-device/bridge.js';
import { COMMAND_ID_RE, commandRequestSchema, type CommandRequest, type CommandResponse, type LatestValue, type LocalTopics } from './topic-map.js';

/** What the command API needs of the gateway. */
export interface CommandTarget {
  write(device: string, point: string, value: unknown, by: string): Promise<Sample>;
  readNow(device: string, point: string): Promise<Sample>;
  unitOf(device: string, point: string): string | undefined;
}

export interface LocalCommandsOptions {
  readonly topics: LocalTopics;
  readonly subscribe: Subscribe;
  readonly publish: (topic: string, payload: string) => Promise<void>;
  readonly target: CommandTarget;
  readonly logger: Logger;
  /** Commands running at once; more are answered EW_COMMAND_BUSY. */
  readonly maxInFlight?: number;
}

export interface LocalCommandStats {
  readonly received: number;
  readonly answered: number;
  /** Requests that could not be answered (not JSON, no usable id). */
  readonly unanswerable: number;
  readonly inFlight: number;
}

const MAX_REQUEST_BYTES = 16 * 1024;

export class LocalCommands {
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly running = new Set<Promise<void>>();
  private counts = { received: 0, answered: 0, unanswerable: 0 };
  private loggedUnanswerable = false;

  constructor(private readonly options: LocalCommandsOptions) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.options.subscribe(this.options.topics.commandRequest, (_topic, payload) => this.onRequest(payload));
  }

  /** Stops taking requests and waits for the running ones to answer. */
  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.allSettled([...this.running]);
  }

  stats(): LocalCommandStats {
    return { ...this.counts, inFlight: this.running.size };
  }

  private onRequest(payload: Buffer): void {
    this.counts.received++;
    let json: unknown;
    try {
      json = payload.length > MAX_REQUEST_BYTES ? undefined : JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    const id = idOf(json);
    if (id === undefined) return this.noteUnanswerable(payload.length > MAX_REQUEST_BYTES ? 'request too large' : 'request is not JSON with a usable "id"');
    const parsed = commandRequestSchema.safeParse(json);
    if (!parsed.success) {
      const message = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return this.answer(this.options.topics.commandResponse(id), { id, ok: false, code: ERROR_CODES.COMMAND_INVALID, message });
    }
    const request = parsed.data;
    const topic = request.responseTopic ?? this.options.topics.commandResponse(id);
    if (!topic.startsWith(`${this.options.topics.commandResponseRoot}/`)) {
      const message = `responseTopic must be below ${this.options.topics.commandResponseRoot}/`;
      return this.answer(this.options.topics.commandResponse(id), { id, ok: false, code: ERROR_CODES.COMMAND_INVALID, message });
    }
    if (this.running.size >= (this.options.maxInFlight ?? 16)) {
      return this.answer(topic, { id, ok: false, code: ERROR_CODES.COMMAND_BUSY, message: 'too many local commands in flight; try again' });
    }
    const run = this.execute(request).then((r) => this.answer(topic, r)).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private async execute(request: CommandRequest): Promise<CommandResponse> {
    const { target } = this.options;
    try {
      const sample = request.command === 'write'
        ? await target.write(request.device, request.point, request.value, 'local-command')
        : await target.readNow(request.device, request.point);
      return { id: request.id, ok: true, result: resultOf(sample, target.unitOf(request.device, request.point)) };
    } catch (err) {
      const code = isGatewayError(err) ? err.code : ERROR_CODES.INTERNAL;
      return { id: request.id, ok: false, code, message: errorMessage(err) };
    }
  }

  private answer(topic: string, response: CommandResponse): void {
    this.counts.answered++;
    this.options.publish(topic, JSON.stringify(response)).catch((err: unknown) => this.options.logger.debug({ err: errorMessage(err), topic }, 'command answer not published'));
  }

  private noteUnanswerable(why: string): void {
    this.counts.unanswerable++;
    if (this.loggedUnanswerable) return;
    this.loggedUnanswerable = true;
    this.options.logger.warn({ why }, 'local command request dropped (logged once; see counters)');
  }
}

function idOf(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const id = (json as Record<string, unknown>).id;
  return typeof id === 'string' && COMMAND_ID_RE.test(id) ? id : undefined;
}

function resultOf(s: Sample, unit: string | undefined): LatestValue {
  return { ts: s.ts, value: s.value, quality: s.quality, ...(s.code === undefined ? {} : { code: s.code }), ...(unit === undefined ? {} : { unit }) };
}

/** Thrown by readNow for an unknown device or point. */
export function unknownPoint(device: string, point?: string): GatewayError {
  return new GatewayError(ERROR_CODES.DEVICE_UNKNOWN, point === undefined ? `unknown or disabled device "${device}"` : `device ${device} has no point "${point}"`);
}
