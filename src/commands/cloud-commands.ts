/**
 * The transport of cloud commands over the gateway's own cloud MQTT link (the reverse ops channel).
 *
 * Requests arrive on `<cloud prefix>/<gateway>/commands/request` (QoS 1). Answers go to:
 * - MQTT 5: the request's Response Topic, with its Correlation Data;
 * - MQTT 3.1.1: the payload's `responseTopic`, else `<prefix>/<gateway>/commands/response/<id>`.
 * Either response topic must lie below `<prefix>/<gateway>/commands/response/`: the gateway's cloud
 * credentials may publish to its own data and status topics (and, with a loose broker ACL, to other
 * gateways' command topics), so a request must not be able to make it forge data, status or a
 * command to another gateway. A request naming another topic is answered on the default topic.
 *
 * Untrusted input: the size is capped before JSON.parse; a retained request is refused (it may be
 * any age, and it comes back on every reconnect); a request without a usable id and no MQTT 5
 * response topic cannot be answered: it is counted and logged once.
 */
import type { Logger } from 'pino';
import { ERROR_CODES, errorMessage } from '../errors.js';
import type { CloudLink, IncomingMessage } from '../northbound/cloud-link.js';
import type { CommandsConfig } from './config.js';
import { AnswerJournal } from './answer-journal.js';
import { CommandDispatcher, type DispatcherStats, type RequestContext } from './dispatcher.js';
import { CLOUD_COMMAND_ID_RE, MAX_REQUEST_BYTES, type CloudCommandResponse } from './schema.js';
import type { CommandTarget } from './target.js';

export type CommandLink = Pick<CloudLink, 'topicRoot' | 'subscribe' | 'publish' | 'onOnline'>;

export interface CloudCommandsOptions {
  readonly link: CommandLink;
  readonly target: CommandTarget;
  /** Read per use (the gateway passes its running config, which applySite replaces). */
  readonly config: () => CommandsConfig;
  readonly logger: Logger;
  readonly now?: () => number;
  /** File of the answers of acting commands (<dataDir>/commands/answers.jsonl); none: memory only. */
  readonly journalFile?: string;
}

export interface CloudCommandStats extends DispatcherStats {
  readonly received: number;
  readonly answered: number;
  /** Requests that could not be answered (too large, not JSON, no usable id and no response topic). */
  readonly unanswerable: number;
  /** Answers that could not be published (link down meanwhile, broker refusal). */
  readonly unsent: number;
}

/** The cloud command topics below a gateway's cloud topic root. */
export function commandTopics(root: string) {
  return {
    request: `${root}/commands/request`,
    responseRoot: `${root}/commands/response`,
    response: (id: string) => `${root}/commands/response/${id}`,
  };
}

export class CloudCommands {
  private readonly dispatcher: CommandDispatcher;
  private readonly journal: AnswerJournal | undefined;
  private topics: ReturnType<typeof commandTopics>;
  private readonly now: () => number;
  private started = false;
  private unsubscribe: (() => void) | undefined;
  private offOnline: (() => void) | undefined;
  private readonly answering = new Set<Promise<void>>();
  private counts = { received: 0, answered: 0, unanswerable: 0, unsent: 0 };
  private loggedUnanswerable = false;
  private loggedUnsent = false;

  constructor(private readonly options: CloudCommandsOptions) {
    this.now = options.now ?? Date.now;
    this.journal = options.journalFile === undefined ? undefined : new AnswerJournal(options.journalFile, options.logger);
    const journal = this.journal === undefined ? {} : { journal: this.journal };
    this.dispatcher = new CommandDispatcher({ target: options.target, config: options.config, logger: options.logger, now: this.now, ...journal });
    this.topics = commandTopics(options.link.topicRoot);
  }

  /**
   * Subscribes to the request topic (the link makes it again on every connection). Also with
   * cloud.commands.enabled false: then every request is answered EW_COMMAND_DENIED, so the cloud
   * learns why instead of waiting for a timeout, and a config change takes effect at once.
   */
  async start(): Promise<void> {
    if (this.started) return;
    if (this.journal !== undefined) this.dispatcher.restore(await this.journal.start(this.options.config().dedupeWindow, this.now()));
    this.started = true;
    this.offOnline = this.options.link.onOnline(() => this.refresh());
    this.refresh();
  }

  /**
   * Moves to a new topic root after a run-time change of cloud.topicPrefix (the link reconnects
   * and calls this on every connection; the gateway calls it after applySite).
   */
  refresh(): void {
    if (!this.started) return;
    const topics = commandTopics(this.options.link.topicRoot);
    if (this.unsubscribe !== undefined && topics.request === this.topics.request) return;
    this.unsubscribe?.();
    this.topics = topics;
    this.unsubscribe = this.options.link.subscribe(topics.request, (m) => this.onMessage(m));
    const { enabled, allow, writes } = this.options.config();
    this.options.logger.info({ topic: topics.request, enabled, allow, writes }, 'cloud commands listening');
  }

  /** Stops taking requests; waits for the queued and running ones to answer. */
  async stop(): Promise<void> {
    this.started = false;
    this.offOnline?.();
    this.offOnline = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.dispatcher.drain();
    await Promise.allSettled([...this.answering]);
    await this.journal?.stop();
  }

  stats(): CloudCommandStats {
    return { ...this.counts, ...this.dispatcher.stats() };
  }

  private onMessage(m: IncomingMessage): void {
    this.counts.received++;
    const json = m.payload.length > MAX_REQUEST_BYTES ? undefined : parseJson(m.payload);
    const id = idOf(json);
    const correlation = m.correlationData === undefined ? {} : { correlationData: m.correlationData };
    const asked = m.responseTopic ?? responseTopicOf(json);
    const confined = asked === undefined || this.confined(asked);
    if (id === undefined) {
      if (m.responseTopic === undefined || !confined) {
        return this.noteUnanswerable(m.payload.length > MAX_REQUEST_BYTES ? `request larger than ${MAX_REQUEST_BYTES} bytes` : 'request is not a JSON object with a usable "id"');
      }
      const message = m.payload.length > MAX_REQUEST_BYTES ? `request larger than ${MAX_REQUEST_BYTES} bytes` : 'request must be a JSON object with an "id" (1-128 of letters, digits, _ . : -)';
      return this.answer(m.responseTopic, correlation, Promise.resolve({ id: null, ok: false, code: ERROR_CODES.COMMAND_INVALID, message }));
    }
    if (!confined) {
      const message = `responseTopic must be below ${this.topics.responseRoot}/`;
      return this.answer(this.topics.response(id), correlation, Promise.resolve({ id, ok: false, code: ERROR_CODES.COMMAND_INVALID, message }));
    }
    const topic = asked ?? this.topics.response(id);
    if (m.retain) {
      const message = 'retained requests are refused (a retained command comes back on every reconnect): publish with retain false';
      return this.answer(topic, correlation, Promise.resolve({ id, ok: false, code: ERROR_CODES.COMMAND_INVALID, message }));
    }
    this.answer(topic, correlation, this.dispatcher.handle(id, json, this.contextOf(m)));
  }

  private contextOf(m: IncomingMessage): RequestContext {
    const who = whoOf(m.userProperties);
    return {
      ...(m.messageExpiryInterval === undefined ? {} : { transportExpiresAt: this.now() + m.messageExpiryInterval * 1000 }),
      ...(who === undefined ? {} : { who }),
    };
  }

  private confined(topic: string): boolean {
    return topic.length <= 512 && topic.startsWith(`${this.topics.responseRoot}/`) && topic.length > this.topics.responseRoot.length + 1 && !/[+#]/.test(topic) && !topic.includes('\u0000');
  }

  private answer(topic: string, properties: { correlationData?: Buffer }, response: Promise<CloudCommandResponse>): void {
    const done = response
      .then(async (r) => {
        this.counts.answered++;
        await this.options.link.publish(topic, JSON.stringify(r), { properties });
      })
      .catch((err: unknown) => this.noteUnsent(topic, err))
      .finally(() => this.answering.delete(done));
    this.answering.add(done);
  }

  private noteUnsent(topic: string, err: unknown): void {
    this.counts.unsent++;
    const fields = { err: errorMessage(err), topic };
    if (this.loggedUnsent) return this.options.logger.debug(fields, 'cloud command answer not published');
    this.loggedUnsent = true;
    this.options.logger.warn(fields, 'cloud command answer not published (logged once; see counters)');
  }

  private noteUnanswerable(why: string): void {
    this.counts.unanswerable++;
    if (this.loggedUnanswerable) return;
    this.loggedUnanswerable = true;
    this.options.logger.warn({ why, topic: this.topics.request }, 'cloud command request dropped: cannot be answered (logged once; see counters)');
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function fieldOf(json: unknown, key: string): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  return Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined;
}

function idOf(json: unknown): string | undefined {
  const id = fieldOf(json, 'id');
  return typeof id === 'string' && CLOUD_COMMAND_ID_RE.test(id) ? id : undefined;
}

function responseTopicOf(json: unknown): string | undefined {
  const t = fieldOf(json, 'responseTopic');
  return typeof t === 'string' ? t : undefined;
}

/** MQTT 5 user property `by` (or `user`), printable ASCII, at most 64 characters. */
function whoOf(props: Readonly<Record<string, string | string[]>> | undefined): string | undefined {
  const raw = props?.by ?? props?.user;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && /^[\x20-\x7e]{1,64}$/.test(value) ? value : undefined;
}
