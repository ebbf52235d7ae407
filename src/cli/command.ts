/**
 * `edgeway command`: send one cloud command to a gateway through its cloud broker and print the
 * answer — what an engineer or the demo needs instead of writing an MQTT client.
 *
 * It subscribes to the answer's topic before publishing (an answer can never slip past), and to the
 * gateway's retained status, so that when no answer comes it can say whether the gateway is online
 * at all. Exit codes are for scripts: 0 ok, 1 an error answer, 2 a usage error (nothing was sent),
 * 3 no answer in time, 4 the broker could not be reached or refused this client.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { parseDuration } from '../config/units.js';
import { commandTopics } from '../commands/cloud-commands.js';
import { cloudCommandResponseSchema, type CloudCommand, type CloudCommandResponse } from '../commands/schema.js';
import { errorMessage } from '../errors.js';
import { UsageError } from './args.js';
import { formatResult } from './command-format.js';
import { buildRequest, COMMAND_SYNOPSIS } from './command-request.js';

export const commandHelp = `Usage: edgeway command --url <mqtt://host:port> --gateway <id> [options] <command> [arguments]

Sends one command to a gateway over its cloud broker (README "Commands from the cloud") and prints
the answer. The request is checked locally first, with the gateway's own schema.

Commands:
${Object.values(COMMAND_SYNOPSIS).map((s) => `  ${s}`).join('\n')}

Options:
  --url <url>             the cloud broker the gateway is connected to (mqtt://, mqtts://, ws://, wss://)
  --gateway <id>          the gateway's id (gateway.id in its site config)
  --prefix <prefix>       the gateway's cloud.topicPrefix (default "edgeway")
  --username <name>, --password <pw> | --password-file <file>
  --ca <file>, --cert <file>, --key <file>   TLS: CA bundle, client certificate and key (PEM)
  --mqtt <3|5>            protocol: 3 = MQTT 3.1.1 (default, works with every broker), 5 = MQTT 5
                          (the answer topic, correlation data and --by travel as MQTT 5 properties)
  --timeout <duration>    how long to wait for the answer (default 10s)
  --expires <duration>    the command's expiry, e.g. 30s: required for write and restart-device
  --by <name>             who asks, for the gateway's audit log (default "cli:<your user name>")
  --json                  print the answer exactly as received (JSON), not the human-readable form
  -h, --help              show this help

Write values: numbers and true/false are sent as such, anything else as a string ('"12"' forces
the string "12"). A negative number needs no quoting: write agv-01 offset -5.

Exit codes: 0 ok, 1 the gateway answered with an error (its code and message are printed),
2 usage error (nothing was sent), 3 no answer within --timeout, 4 the broker cannot be reached
or refuses this client (login, or its ACL on the command topics).

Examples:
  edgeway command --url mqtt://127.0.0.1:18830 --gateway demo-site status
  edgeway command --url mqtt://broker:1883 --gateway wh-07 read agv-01 battery_soc speed
  edgeway command --url mqtt://broker:1883 --gateway wh-07 write agv-01 target_station 12 --expires 30s`;

export const EXIT = { ok: 0, answeredError: 1, usage: 2, timeout: 3, unreachable: 4 } as const;

const OPTIONS = {
  url: { type: 'string' }, gateway: { type: 'string' }, prefix: { type: 'string' },
  username: { type: 'string' }, password: { type: 'string' }, 'password-file': { type: 'string' },
  ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' },
  mqtt: { type: 'string' }, timeout: { type: 'string' }, expires: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' },
  limit: { type: 'string' }, 'min-level': { type: 'string' }, 'max-bytes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * parseArgs reads "-5" as an (unknown) option; a write value or option value may well be negative.
 * Such words are hidden behind a marker while parsing and restored afterwards.
 */
const NEGATIVE = '\u0000neg:';
const hide = (w: string) => (/^-(\d|\.\d)/.test(w) ? `${NEGATIVE}${w}` : w);
const show = (w: string) => (w.startsWith(NEGATIVE) ? w.slice(NEGATIVE.length) : w);

function parseCommandArgs(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({ args: argv.map(hide), options: OPTIONS, allowPositionals: true, strict: true });
    const v: Record<string, string | boolean | undefined> = {};
    for (const [k, x] of Object.entries(values)) v[k] = typeof x === 'string' ? show(x) : x;
    return { values: v, positionals: positionals.map(show) };
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function required(v: unknown, flag: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing ${flag}`);
  return v;
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return 10_000;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout must be a duration with a unit, e.g. 10s or 500ms, got "${text}"`);
  return ms;
}

function protocolOf(text: string | undefined): 4 | 5 {
  if (text === undefined || text === '3' || text === '3.1.1' || text === '4') return 4;
  if (text === '5') return 5;
  throw new UsageError(`--mqtt must be 3 (MQTT 3.1.1) or 5, got "${text}"`);
}

function urlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be a broker URL such as mqtt://127.0.0.1:1883, got "${text}"`);
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new UsageError(`--url: unsupported scheme "${url.protocol}" (use mqtt://, mqtts://, ws:// or wss://)`);
  }
  return text;
}

/** The default audit name: "cli:<user>" reduced to what the schema accepts (printable ASCII, 64 chars). */
function defaultBy(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `cli:${user.replace(/[^\x21-\x7e]/g, '_') || 'unknown'}`.slice(0, 64);
}

async function fileOption(flag: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
}

async function connectionOptions(v: Record<string, unknown>, protocolVersion: 4 | 5, timeoutMs: number): Promise<IClientOptions> {
  if (v.password !== undefined && v['password-file'] !== undefined) throw new UsageError('give --password or --password-file, not both');
  const [passwordFile, ca, cert, key] = await Promise.all([
    fileOption('--password-file', str(v['password-file'])), fileOption('--ca', str(v.ca)), fileOption('--cert', str(v.cert)), fileOption('--key', str(v.key)),
  ]);
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  const password = passwordFile === undefined ? str(v.password) : passwordFile.toString('utf8').replace(/\r?\n$/, '');
  return {
    protocolVersion, clientId: `edgeway-cli-${randomBytes(6).toString('hex')}`, clean: true, reconnectPeriod: 0,
    connectTimeout: timeoutMs, keepalive: 30,
    ...(str(v.username) === undefined ? {} : { username: str(v.username) }),
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }),
  };
}

/** A request id: one topic level, unique enough that two engineers never share an answer topic. */
export function newCommandId(): string {
  return `cli-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

class Unreachable extends Error {}

function connected(client: MqttClient, url: string, deadline: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Unreachable(`no connection to ${url} within the timeout`)), Math.max(0, deadline - Date.now()));
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = () => done();
    const onError = (err: Error) => done(new Unreachable(`cannot connect to ${url}: ${err.message}`));
    const onClose = () => done(new Unreachable(`cannot connect to ${url}: connection closed by the broker`));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

interface Exchange {
  readonly answer?: CloudCommandResponse;
  /** The gateway's retained status message, if the broker holds one. */
  readonly status?: string;
  /** An answer that came with our id but did not match the answer schema. */
  readonly unreadable?: string;
}

/** Connects, subscribes to the answer and the gateway's status, publishes, waits until the deadline. */
async function exchange(url: string, options: IClientOptions, root: string, request: CloudCommand, deadline: number): Promise<Exchange> {
  const topics = commandTopics(root);
  const answerTopic = topics.response(request.id);
  const statusTopic = `${root}/status`;
  const client = connect(url, options);
  // Errors after the connection are reported by the calls that fail; this keeps them off the process.
  client.on('error', () => undefined);
  try {
    await connected(client, url, deadline);
    let status: string | undefined;
    let unreadable: string | undefined;
    let settle: (a: CloudCommandResponse) => void = () => undefined;
    const answered = new Promise<CloudCommandResponse>((resolve) => (settle = resolve));
    client.on('message', (topic, payload) => {
      if (topic === statusTopic) {
        status = payload.toString('utf8').slice(0, 500);
        return;
      }
      if (topic !== answerTopic) return;
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        unreadable = `not JSON: ${payload.toString('utf8').slice(0, 200)}`;
        return;
      }
      const parsed = cloudCommandResponseSchema.safeParse(json);
      if (parsed.success && parsed.data.id === request.id) settle(parsed.data);
      else if (!parsed.success) unreadable = JSON.stringify(json).slice(0, 300);
    });
    const granted = await client.subscribeAsync([answerTopic, statusTopic], { qos: 1 });
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.includes(answerTopic)) throw new Unreachable(`the broker refused the subscription to ${answerTopic} (its ACL must let this client read ${topics.responseRoot}/#)`);
    const publish: IClientPublishOptions = { qos: 1 };
    if (options.protocolVersion === 5) {
      publish.properties = { responseTopic: answerTopic, correlationData: Buffer.from(request.id), userProperties: request.by === undefined ? {} : { by: request.by } };
    }
    try {
      await client.publishAsync(topics.request, JSON.stringify(request), publish);
    } catch (err) {
      throw new Unreachable(`the broker refused the request on ${topics.request}: ${errorMessage(err)} (its ACL must let this client publish there)`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
    const answer = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    return { ...(answer === undefined ? {} : { answer }), ...(status === undefined ? {} : { status }), ...(unreadable === undefined ? {} : { unreadable }) };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

/** Why no answer came, with what the gateway's retained status says. */
function noAnswer(gateway: string, timeoutMs: number, root: string, status: string | undefined, unreadable: string | undefined): string {
  const lines = [`no answer from gateway "${gateway}" within ${timeoutMs / 1000} s.`];
  if (unreadable !== undefined) lines.push(`An answer on its topic did not match the answer schema: ${unreadable}`);
  if (status === undefined) {
    lines.push(
      `The broker holds no retained status on ${root}/status: check --gateway (gateway.id) and --prefix (cloud.topicPrefix),`,
      'and that the gateway is configured with this broker (cloud.url).',
    );
  } else {
    let state: unknown;
    try {
      state = (JSON.parse(status) as { state?: unknown }).state;
    } catch {
      state = undefined;
    }
    lines.push(`Its retained status on ${root}/status: ${status}`);
    if (state === 'online') {
      lines.push(
        'It says online: the gateway may be overloaded or just reconnecting, run a version without cloud commands,',
        'or the broker\'s ACL may not let this client publish to commands/request (or the gateway answer on commands/response/#).',
      );
    } else {
      lines.push('The gateway is offline: the command was not run. Check its cloud link (edgeway health on the site, or its logs).');
    }
  }
  return lines.join('\n');
}

export async function commandCommand(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`edgeway command: ${err.message} (see: edgeway command --help)`);
      return EXIT.usage;
    }
    throw err;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv);
  if (v.help === true) {
    console.log(commandHelp);
    return EXIT.ok;
  }
  const url = urlOf(required(v.url, '--url <mqtt://host:port>'));
  const gateway = required(v.gateway, '--gateway <id>');
  const prefix = str(v.prefix) ?? 'edgeway';
  if (/[+#/]/.test(gateway) || gateway.includes('\u0000') || /[+#]/.test(prefix) || prefix.includes('\u0000')) throw new UsageError('--gateway must be one topic level and --prefix a topic name (no +, # or / in the id)');
  const timeoutMs = timeoutOf(str(v.timeout));
  const protocolVersion = protocolOf(str(v.mqtt));
  const request = buildRequest(positionals, {
    id: newCommandId(), by: str(v.by) ?? defaultBy(),
    ...(str(v.expires) === undefined ? {} : { expires: str(v.expires) }),
    ...(str(v.limit) === undefined ? {} : { limit: str(v.limit) }),
    ...(str(v['min-level']) === undefined ? {} : { minLevel: str(v['min-level']) }),
    ...(str(v['max-bytes']) === undefined ? {} : { maxBytes: str(v['max-bytes']) }),
  });
  const options = await connectionOptions(v, protocolVersion, timeoutMs);
  const root = `${prefix}/${gateway}`;
  let result: Exchange;
  try {
    result = await exchange(url, options, root, request, Date.now() + timeoutMs);
  } catch (err) {
    console.error(`edgeway command: ${errorMessage(err)}`);
    return EXIT.unreachable;
  }
  const { answer } = result;
  if (answer === undefined) {
    console.error(`edgeway command: ${noAnswer(gateway, timeoutMs, root, result.status, result.unreadable)}`);
    return EXIT.timeout;
  }
  if (v.json === true) console.log(JSON.stringify(answer));
  if (!answer.ok) {
    if (v.json !== true) console.error(`${answer.code}: ${answer.message}`);
    return EXIT.answeredError;
  }
  if (v.json !== true) {
    const target = { ...('device' in request ? { device: request.device } : {}), ...(request.command === 'write' ? { point: request.point } : {}) };
    for (const line of formatResult(request.command, answer.result, target)) console.log(line);
  }
  return EXIT.ok;
}
