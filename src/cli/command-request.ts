/**
 * `edgeway command`: from command-line words to one cloud command request, checked by the same zod
 * schema the gateway uses (src/commands/schema.ts). So a typo, a missing argument or an out-of-range
 * count is reported here, naming the argument, instead of travelling to the site and coming back as
 * EW_COMMAND_INVALID (or not at all, when the gateway is offline).
 */
import { parseDuration } from '../config/units.js';
import { cloudCommandSchema, LOG_LEVELS, needsExpiry, TABLES, type CloudCommand, type CommandName } from '../commands/schema.js';
import { UsageError } from './args.js';

/** The words each command takes after its name, for the usage message. */
export const COMMAND_SYNOPSIS: Readonly<Record<CommandName, string>> = {
  status: 'status',
  read: 'read <device> <point> [<point> ...]',
  write: 'write <device> <point> <value> --expires <duration>',
  logs: 'logs [--limit N] [--min-level warn] [--max-bytes N]',
  config: 'config',
  'restart-device': 'restart-device <device> --expires <duration>',
  'modbus-read': `modbus-read <device> <${TABLES.join('|')}> <address> <count>`,
};

const NAMES = Object.keys(COMMAND_SYNOPSIS) as CommandName[];

/** What the options add to a request (already parsed from their text). */
export interface RequestOptions {
  readonly id: string;
  readonly by: string;
  /** e.g. "30s"; required for write and restart-device. */
  readonly expires?: string;
  readonly limit?: string;
  readonly minLevel?: string;
  readonly maxBytes?: string;
  /** When to count the expiry from (tests pass a fixed clock). */
  readonly now?: number;
}

/**
 * A write value as typed: numbers and booleans become numbers and booleans, anything else stays a
 * string (the gateway's write rules decide whether the point takes it). A JSON string ("\"12\"")
 * forces a string that looks like a number.
 */
export function parseValue(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      const s: unknown = JSON.parse(text);
      if (typeof s === 'string') return s;
    } catch {
      // not valid JSON: keep the text as it is
    }
  }
  return text;
}

function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, got "${text}"`);
  return Number(text);
}

function expiryOf(text: string, now: number): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`--expires must be a duration such as "30s" or "2m", got "${text}"`);
  return now + ms;
}

/** Schema paths as the user typed them, so an error names the argument to fix. */
const ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  device: '<device>', point: '<point>', points: '<point>', value: '<value>', table: '<table>', address: '<address>',
  count: '<count>', limit: '--limit', minLevel: '--min-level', maxBytes: '--max-bytes', by: '--by', expiresAt: '--expires', id: 'id',
};

/** The request for `edgeway command <words...>`; UsageError (exit 2) for anything the gateway would refuse as invalid. */
export function buildRequest(words: readonly string[], o: RequestOptions): CloudCommand {
  const [name, ...args] = words;
  if (name === undefined) throw new UsageError(`name a command: ${NAMES.join(', ')}`);
  const command = NAMES.find((n) => n === name);
  if (command === undefined) throw new UsageError(`unknown command "${name}": one of ${NAMES.join(', ')}`);
  const usage = () => new UsageError(`usage: edgeway command ... ${COMMAND_SYNOPSIS[command]} (got ${args.length} argument${args.length === 1 ? '' : 's'})`);
  const now = o.now ?? Date.now();
  if (o.expires === undefined && needsExpiry(command)) {
    throw new UsageError(`${command} must carry an expiry so it never runs late: add --expires <duration>, e.g. --expires 30s`);
  }
  if (command !== 'logs' && (o.limit !== undefined || o.minLevel !== undefined || o.maxBytes !== undefined)) {
    throw new UsageError('--limit, --min-level and --max-bytes are options of the logs command');
  }
  const raw: Record<string, unknown> = {
    id: o.id, command, by: o.by, ...(o.expires === undefined ? {} : { expiresAt: expiryOf(o.expires, now) }),
  };
  switch (command) {
    case 'status':
    case 'config':
    case 'logs':
      if (args.length !== 0) throw usage();
      break;
    case 'read':
      if (args.length < 2) throw usage();
      raw.device = args[0];
      raw.points = args.slice(1);
      break;
    case 'write':
      if (args.length !== 3) throw usage();
      raw.device = args[0];
      raw.point = args[1];
      raw.value = parseValue(args[2] ?? '');
      break;
    case 'restart-device':
      if (args.length !== 1) throw usage();
      raw.device = args[0];
      break;
    case 'modbus-read': {
      const [device, table, address, count] = args;
      if (args.length !== 4 || device === undefined || table === undefined || address === undefined || count === undefined) throw usage();
      raw.device = device;
      raw.table = table;
      raw.address = wholeNumber(address, '<address>');
      raw.count = wholeNumber(count, '<count>');
      break;
    }
  }
  if (command === 'logs') {
    if (o.limit !== undefined) raw.limit = wholeNumber(o.limit, '--limit');
    if (o.maxBytes !== undefined) raw.maxBytes = wholeNumber(o.maxBytes, '--max-bytes');
    if (o.minLevel !== undefined) {
      if (!(LOG_LEVELS as readonly string[]).includes(o.minLevel)) throw new UsageError(`--min-level must be one of ${LOG_LEVELS.join(', ')}, got "${o.minLevel}"`);
      raw.minLevel = o.minLevel;
    }
  }
  const parsed = cloudCommandSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => {
      const [head, ...rest] = i.path.map(String);
      const where = head === undefined ? command : `${ARGUMENT_NAMES[head] ?? head}${rest.length > 0 ? `[${rest.join('.')}]` : ''}`;
      return `${where}: ${i.message}`;
    });
    throw new UsageError(`invalid ${command} request: ${problems.join('; ')}`);
  }
  return parsed.data;
}
