/**
 * Runs one cloud command request: validate -> authorise -> dedupe -> expiry -> execute -> answer.
 *
 * - Validate: the zod schema, plus the expiry rules: write and restart-device must carry an expiry
 *   (expiresAt, or an MQTT 5 message expiry) at most `maxExpiry` ahead — a robot must not move on a
 *   stale order, and an order that stays valid for hours is a stale order waiting to happen.
 * - Authorise: `cloud.commands` of the site config (writes off unless enabled; allow list).
 * - Dedupe comes before the expiry check on purpose: a retry of a write that already ran must get
 *   "ok" (what happened), not "expired" (which would tell the cloud it did not run).
 * - Expiry is checked on arrival and again right before the command runs: commands for one device
 *   run one at a time, so a command can wait behind a slow one and expire while waiting.
 * - Every request is answered with `{id, ok, result}` or `{id, ok: false, code, message}`; every
 *   command is audited at info (who, what, result, code, ms), never with secrets (results are not
 *   logged, and write values are set points, not secrets). Schema refusals are logged at debug only,
 *   so junk on the topic cannot flood the log; they are counted.
 */
import type { Logger } from 'pino';
import { ERROR_CODES, errorMessage, isGatewayError, type ErrorCode } from '../errors.js';
import type { Sample } from '../model/sample.js';
import type { CommandsConfig } from './config.js';
import type { JournalEntry } from './answer-journal.js';
import { ResponseMemory } from './memory.js';
import { cloudCommandSchema, describeIssues, needsExpiry, type CloudCommand, type CloudCommandResponse } from './schema.js';
import type { CommandTarget } from './target.js';

/** What the transport knows about a request besides its payload. */
export interface RequestContext {
  /** Absolute deadline from the MQTT 5 Message Expiry Interval, ms epoch. */
  readonly transportExpiresAt?: number;
  /** Who sent it according to the transport (MQTT 5 user property), before the payload's `by`. */
  readonly who?: string;
}

export interface DispatcherOptions {
  readonly target: CommandTarget;
  /** Read per request, so a run-time config change (applySite) applies to the next command. */
  readonly config: () => CommandsConfig;
  readonly logger: Logger;
  /** Injected clock (tests); default Date.now. */
  readonly now?: () => number;
  /** Records answers of acting commands on disk, so a retry after a restart is still a duplicate. */
  readonly journal?: { append(entry: JournalEntry): Promise<void> };
}

export interface DispatcherStats {
  readonly invalid: number;
  readonly denied: number;
  readonly expired: number;
  readonly duplicates: number;
  readonly busy: number;
  readonly executed: number;
  readonly failed: number;
  /** Queued or running now. */
  readonly inFlight: number;
}

const MEMORY_ENTRIES = 2000;

export class CommandDispatcher {
  private readonly now: () => number;
  private readonly memory: ResponseMemory;
  private readonly running = new Set<Promise<CloudCommandResponse>>();
  /** Tail of each device's command chain (one command per device at a time). */
  private readonly lanes = new Map<string, Promise<unknown>>();
  private counts = { invalid: 0, denied: 0, expired: 0, duplicates: 0, busy: 0, executed: 0, failed: 0 };

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.memory = new ResponseMemory(() => options.config().dedupeWindow, MEMORY_ENTRIES, this.now);
  }

  stats(): DispatcherStats {
    return { ...this.counts, inFlight: this.running.size };
  }

  /** Resolves when every queued and running command has answered. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** `json` is the parsed payload and `id` its usable request id (the transport checked both). */
  async handle(id: string, json: unknown, ctx: RequestContext = {}): Promise<CloudCommandResponse> {
    const parsed = cloudCommandSchema.safeParse(json);
    if (!parsed.success) return this.refuse(id, 'invalid', ERROR_CODES.COMMAND_INVALID, describeIssues(parsed.error), 'debug');
    const request = parsed.data;
    const who = ctx.who ?? request.by ?? 'cloud';
    const expiresAt = earliest(request.expiresAt, ctx.transportExpiresAt);
    const expiryProblem = this.expiryProblem(request, expiresAt);
    if (expiryProblem !== undefined) return this.refuse(id, 'invalid', ERROR_CODES.COMMAND_INVALID, expiryProblem, 'info', request, who);
    const denial = this.denial(request);
    if (denial !== undefined) return this.refuse(id, 'denied', ERROR_CODES.COMMAND_DENIED, denial, 'info', request, who);

    const fingerprint = fingerprintOf(request);
    const seen = this.memory.get(id);
    if (seen !== undefined) {
      this.counts.duplicates++;
      if (seen.fingerprint !== fingerprint) {
        return this.refuse(id, 'invalid', ERROR_CODES.COMMAND_INVALID, `id "${id}" was used for a different request within the last ${Math.round(this.options.config().dedupeWindow / 1000)} s: use a new id`, 'info', request, who);
      }
      this.audit(request, who, 'duplicate: answered from memory', undefined);
      return seen.answer;
    }
    if (expiresAt !== undefined && this.now() >= expiresAt) {
      const refusal = this.expired(request, who, expiresAt, 'on arrival');
      this.memory.remember(id, fingerprint, Promise.resolve(refusal));
      return refusal;
    }
    if (this.running.size >= this.options.config().maxInFlight) {
      return this.refuse(id, 'busy', ERROR_CODES.COMMAND_BUSY, `${this.running.size} cloud commands queued or running (cloud.commands.maxInFlight); try again`, 'info', request, who);
    }
    const answer = this.inLane(request, () => this.execute(request, who, expiresAt));
    this.running.add(answer);
    void answer.finally(() => this.running.delete(answer));
    // Acting commands (write, restart-device) are kept against floods of read-only requests, and on disk.
    const acting = needsExpiry(request.command);
    this.memory.remember(id, fingerprint, answer, acting);
    const journal = this.options.journal;
    if (acting && journal !== undefined) {
      const at = this.now();
      // The answer is sent only once it is on disk: a retry the cloud sends after a crash finds it.
      return answer.then(async (a) => {
        await journal.append({ id, fingerprint, at, answer: a });
        return a;
      });
    }
    return answer;
  }

  /** Answers of acting commands from before a restart (the journal), oldest first. */
  restore(entries: readonly JournalEntry[]): void {
    for (const e of entries) this.memory.restore(e.id, e.fingerprint, e.at, e.answer);
  }

  private expiryProblem(request: CloudCommand, expiresAt: number | undefined): string | undefined {
    if (request.expiresAt !== undefined && Number.isNaN(request.expiresAt)) return 'expiresAt: not a valid date-time';
    if (!needsExpiry(request.command)) return undefined;
    const max = this.options.config().maxExpiry;
    if (expiresAt === undefined) {
      return `${request.command} needs an expiry: set expiresAt (ms since epoch or ISO date-time, at most ${Math.round(max / 1000)} s ahead) or an MQTT 5 message expiry`;
    }
    const ahead = expiresAt - this.now();
    if (ahead > max) {
      return `expiry is ${Math.round(ahead / 1000)} s ahead of the gateway clock; at most ${Math.round(max / 1000)} s (cloud.commands.maxExpiry) — shorten it or check the clocks`;
    }
    return undefined;
  }

  private denial(request: CloudCommand): string | undefined {
    const config = this.options.config();
    if (!config.enabled) return 'cloud commands are off at this site (cloud.commands.enabled: false)';
    if (request.command === 'write') return config.writes ? undefined : 'write commands are off at this site: set cloud.commands.writes: true in the site config';
    if (config.allow.includes(request.command)) return undefined;
    return `command "${request.command}" is not allowed at this site: add it to cloud.commands.allow in the site config (allowed: ${config.allow.join(', ') || 'none'})`;
  }

  /** Chains `task` behind the previous command of the same device (gateway-wide ones share a lane). */
  private inLane<T>(request: CloudCommand, task: () => Promise<T>): Promise<T> {
    const key = 'device' in request ? `device:${request.device}` : '(gateway)';
    const previous = this.lanes.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.lanes.set(key, tail);
    void tail.then(() => {
      if (this.lanes.get(key) === tail) this.lanes.delete(key);
    });
    return result;
  }

  private async execute(request: CloudCommand, who: string, expiresAt: number | undefined): Promise<CloudCommandResponse> {
    if (expiresAt !== undefined && this.now() >= expiresAt) return this.expired(request, who, expiresAt, 'while waiting to run');
    const started = this.now();
    try {
      const result = await this.run(request, who, expiresAt);
      this.counts.executed++;
      this.audit(request, who, 'ok', undefined, this.now() - started);
      return { id: request.id, ok: true, result };
    } catch (err) {
      this.counts.failed++;
      const code = isGatewayError(err) ? err.code : ERROR_CODES.INTERNAL;
      const message = errorMessage(err);
      this.audit(request, who, 'failed', code, this.now() - started, message);
      return { id: request.id, ok: false, code, message };
    }
  }

  private async run(request: CloudCommand, who: string, expiresAt: number | undefined): Promise<unknown> {
    const { target } = this.options;
    switch (request.command) {
      case 'read': {
        const points: Record<string, unknown> = {};
        for (const point of request.points) points[point] = latest(await target.readNow(request.device, point), target.unitOf(request.device, point));
        return { device: request.device, points };
      }
      case 'write':
        return latest(await target.write(request.device, request.point, request.value, `cloud:${who}`, expiresAt), target.unitOf(request.device, request.point));
      case 'status':
        return target.statusReport();
      case 'logs':
        return {
          lines: target.recentLogs({
            limit: request.limit, ...(request.minLevel === undefined ? {} : { minLevel: request.minLevel }), ...(request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes }),
          }),
        };
      case 'config':
        return target.effectiveConfig();
      case 'restart-device':
        await target.restartDevice(request.device);
        return { device: request.device, restarted: true };
      case 'modbus-read':
        return target.rawRead(request.device, { table: request.table, address: request.address, count: request.count });
    }
  }

  private expired(request: CloudCommand, who: string, expiresAt: number, when: string): CloudCommandResponse {
    const late = this.now() - expiresAt;
    const message = `expired ${late} ms ago (${when}; expiresAt ${new Date(expiresAt).toISOString()}): not executed`;
    return this.refuse(request.id, 'expired', ERROR_CODES.COMMAND_EXPIRED, message, 'info', request, who);
  }

  private refuse(id: string, counter: 'invalid' | 'denied' | 'expired' | 'busy', code: ErrorCode, message: string, level: 'info' | 'debug', request?: CloudCommand, who?: string): CloudCommandResponse {
    this.counts[counter]++;
    if (request !== undefined && who !== undefined) this.audit(request, who, 'refused', code, undefined, message);
    else this.options.logger[level]({ id, code, err: message }, 'cloud command refused');
    return { id, ok: false, code, message };
  }

  private audit(request: CloudCommand, who: string, outcome: string, code: string | undefined, ms?: number, err?: string): void {
    const what = { command: request.command, ...('device' in request ? { device: request.device } : {}), ...(request.command === 'write' ? { point: request.point, value: request.value } : {}) };
    this.options.logger.info({ id: request.id, who, ...what, outcome, ...(code ? { code } : {}), ...(ms === undefined ? {} : { ms }), ...(err ? { err } : {}) }, 'cloud command');
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * The request minus the fields a retry may change: where to answer, who asks, and the expiry (a
 * retry with a fresh expiry is still the same order, and gets the first answer).
 */
function fingerprintOf(request: CloudCommand): string {
  const { responseTopic: _t, by: _b, expiresAt: _e, ...rest } = request;
  return JSON.stringify(rest);
}

function latest(s: Sample, unit: string | undefined) {
  return { ts: s.ts, value: s.value, quality: s.quality, ...(s.code === undefined ? {} : { code: s.code }), ...(unit === undefined ? {} : { unit }) };
}
