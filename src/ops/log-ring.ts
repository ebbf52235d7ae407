/**
 * The gateway's recent log lines, kept in memory for the cloud's "recent logs" command: an engineer
 * who cannot visit the site reads what the gateway said lately. It is a second pino destination, so
 * it holds exactly the lines written to stdout — already redacted (see ops/logger.ts).
 *
 * Bounded twice, by line count and by bytes, so a burst of large lines cannot grow memory; a single
 * oversize line is shortened (its level, time, module and device are kept, the message cut) rather
 * than dropped, so the ring never hides that something was logged.
 */
import { ERROR_CODES, GatewayError } from '../errors.js';

export interface LogRingOptions {
  /** Lines kept at most. */
  readonly maxLines?: number;
  /** Bytes (UTF-8) kept at most, over all lines. */
  readonly maxBytes?: number;
  /** A longer line is shortened to at most this many bytes. */
  readonly maxLineBytes?: number;
}

export interface LogQuery {
  /** Newest lines wanted; at most LOG_QUERY_MAX are returned. */
  readonly limit: number;
  /** Only lines at this level or above: trace, debug, info, warn, error, fatal. */
  readonly minLevel?: string;
  /** Byte budget of the answer (the lines' JSON text); default and most LOG_QUERY_MAX_BYTES. */
  readonly maxBytes?: number;
}

/** One log line as pino wrote it (level as a number, time in ms, msg, bindings). */
export type LogEntry = Record<string, unknown>;

export interface LogRingStats {
  readonly lines: number;
  readonly bytes: number;
  /** Lines pushed out by newer ones since start. */
  readonly evicted: number;
  /** Oversize lines that were shortened. */
  readonly truncated: number;
}

/** Most lines one query returns, whatever limit it asks for. */
export const LOG_QUERY_MAX = 500;
/**
 * Most bytes of log text one query returns: the answer travels as one MQTT message, and cloud
 * brokers cap those (AWS IoT Core at 128 KB), so half of that leaves room for the envelope.
 */
export const LOG_QUERY_MAX_BYTES = 64 * 1024;

/** pino's level numbers. */
export const LOG_LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

const DEFAULTS = { maxLines: 2000, maxBytes: 512 * 1024, maxLineBytes: 4096 };
/** Room for the fields kept besides the message in a shortened line. */
const SHORT_LINE_OVERHEAD = 256;

interface Stored {
  readonly level: number;
  readonly text: string;
  readonly bytes: number;
}

export class LogRing {
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly maxLineBytes: number;
  /** Oldest first; entries before `head` are already evicted (compacted now and then). */
  private lines: Stored[] = [];
  private head = 0;
  private bytes = 0;
  private evicted = 0;
  private truncated = 0;

  constructor(options: LogRingOptions = {}) {
    this.maxLines = Math.max(1, options.maxLines ?? DEFAULTS.maxLines);
    this.maxBytes = Math.max(1, options.maxBytes ?? DEFAULTS.maxBytes);
    this.maxLineBytes = Math.max(SHORT_LINE_OVERHEAD, Math.min(options.maxLineBytes ?? DEFAULTS.maxLineBytes, this.maxBytes));
  }

  /** pino destination: one serialised line per call (trailing newline optional). */
  write(chunk: string): void {
    const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    if (line.length === 0) return;
    let text = line;
    let bytes = Buffer.byteLength(line);
    if (bytes > this.maxLineBytes) {
      text = this.shorten(line, bytes);
      bytes = Buffer.byteLength(text);
      this.truncated++;
    }
    this.lines.push({ level: levelOf(text), text, bytes });
    this.bytes += bytes;
    while (this.lines.length - this.head > this.maxLines || this.bytes > this.maxBytes) this.evictOldest();
    // Compact once the evicted prefix is as long as the live part: amortised O(1) per line.
    if (this.head > 0 && this.head >= this.lines.length - this.head) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The newest `limit` lines (capped at LOG_QUERY_MAX) at or above `minLevel` that fit in the byte
   * budget, oldest first, as parsed JSON objects. Throws EW_COMMAND_INVALID for a bad limit, budget
   * or level.
   */
  query(q: LogQuery): LogEntry[] {
    if (!Number.isInteger(q.limit) || q.limit < 1) {
      throw new GatewayError(ERROR_CODES.COMMAND_INVALID, `logs: limit must be a whole number from 1 to ${LOG_QUERY_MAX}, got ${String(q.limit)}`);
    }
    const min = q.minLevel === undefined ? 0 : LOG_LEVELS[q.minLevel];
    if (min === undefined) {
      throw new GatewayError(ERROR_CODES.COMMAND_INVALID, `logs: minLevel must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got ${JSON.stringify(q.minLevel)}`);
    }
    if (q.maxBytes !== undefined && (!Number.isInteger(q.maxBytes) || q.maxBytes < 1)) {
      throw new GatewayError(ERROR_CODES.COMMAND_INVALID, `logs: maxBytes must be a whole number of bytes, at least 1, got ${String(q.maxBytes)}`);
    }
    const want = Math.min(q.limit, LOG_QUERY_MAX);
    let budget = Math.min(q.maxBytes ?? LOG_QUERY_MAX_BYTES, LOG_QUERY_MAX_BYTES);
    const picked: Stored[] = [];
    for (let i = this.lines.length - 1; i >= this.head && picked.length < want; i--) {
      const line = this.lines[i];
      if (!line || line.level < min) continue;
      if (line.bytes > budget) break; // older lines are not skipped over: the answer has no gaps
      budget -= line.bytes;
      picked.push(line);
    }
    return picked.reverse().map((l) => parseLine(l.text));
  }

  stats(): LogRingStats {
    return { lines: this.lines.length - this.head, bytes: this.bytes, evicted: this.evicted, truncated: this.truncated };
  }

  private evictOldest(): void {
    const oldest = this.lines[this.head];
    if (!oldest) return;
    this.lines[this.head] = undefined as unknown as Stored; // let the string be collected before compaction
    this.head++;
    this.bytes -= oldest.bytes;
    this.evicted++;
  }

  /** A shortened line that still parses: level, time and bindings kept, msg cut, the original size noted. */
  private shorten(line: string, bytes: number): string {
    let parsed: LogEntry | undefined;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value as LogEntry;
    } catch {
      parsed = undefined;
    }
    const keep: LogEntry = { level: parsed?.level ?? levelOf(line), truncated: true, bytes };
    for (const key of ['time', 'module', 'device', 'component', 'code'] as const) {
      const v = parsed?.[key];
      if (typeof v === 'number' || (typeof v === 'string' && v.length <= 64)) keep[key] = v;
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes; JSON escapes can grow it further, hence the final check.
    const room = Math.floor((this.maxLineBytes - SHORT_LINE_OVERHEAD) / 3);
    const msg = typeof parsed?.msg === 'string' ? parsed.msg : line;
    const text = JSON.stringify({ ...keep, msg: msg.slice(0, room) });
    return Buffer.byteLength(text) <= this.maxLineBytes ? text : JSON.stringify({ level: keep.level, truncated: true, bytes });
  }
}

/** pino writes `{"level":30,...` first; anything else counts as level 0 (shown only without minLevel). */
function levelOf(text: string): number {
  const m = /^\{"level":(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

function parseLine(text: string): LogEntry {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as LogEntry;
  } catch {
    // not JSON: returned as text below
  }
  return { level: levelOf(text), text };
}
