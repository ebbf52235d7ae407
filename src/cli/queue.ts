/**
 * `edgeway queue stats|peek|purge -c <config>`: looks into the durable queue of a stopped gateway.
 * Works on the store directly (no limits applied, nothing expired): `stats` and `peek` change
 * nothing on disk; `purge` deletes every queued sample but keeps the sequence mark, so the next run
 * continues the sequence numbers.
 */
import { existsSync } from 'node:fs';
import { loadSite } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { ERROR_CODES, GatewayError, isGatewayError } from '../errors.js';
import { LevelStore } from '../queue/level-queue.js';
import type { Recovered } from '../queue/store.js';
import { parse, requireString, UsageError } from './args.js';
import { help } from './validate.js';

export const queueHelp = `Usage: edgeway queue <stats|peek|purge> -c <config.yaml> [options]

Inspects the durable queue of a STOPPED gateway (LevelDB allows one process per queue directory;
while the gateway runs, its summary line and status show the queue instead).

  stats                 depth, bytes (and share of queue.maxBytes), oldest sample and its age, next seq
  peek [-n N]           prints the oldest N queued samples (default 10), one JSON object per line
  purge --yes           deletes every queued sample and says how many; sequence numbers continue

Options:
  -c, --config <file>   site config (the queue directory is queue.path, or <gateway.dataDir>/queue)
  -n, --count <N>       peek: how many samples (1..100000)
      --json            stats: one JSON object instead of text
      --yes             purge: really delete
  -h, --help            show this help

Drop counters (max-bytes, max-age, reject-new) are kept by the running gateway since its start and
reported in its status; they are not stored in the queue directory.`;

type Sub = 'stats' | 'peek' | 'purge';

export async function queueCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return help(queueHelp);
  if (sub !== 'stats' && sub !== 'peek' && sub !== 'purge') throw new UsageError(`unknown queue command "${sub}" (stats, peek or purge)`);
  const { values } = parse(rest, {
    config: { type: 'string', short: 'c' },
    count: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
    yes: { type: 'boolean' },
  });
  if (values.help) return help(queueHelp);
  const file = requireString(values.config, '-c <config.yaml>');
  const result = await loadSite(file);
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    console.error(`\n${result.problems.length} problem(s) found in the config.`);
    return 1;
  }
  const { paths, config } = result.site;
  if (!existsSync(paths.queue)) {
    console.error(`edgeway queue: there is no queue at ${paths.queue} (the gateway has not run with this config yet)`);
    return 1;
  }
  if (sub === 'purge' && values.yes !== true) throw new UsageError('purge deletes every queued sample: add --yes to confirm');
  const count = sub === 'peek' ? countOption(values.count) : 0;
  const store = new LevelStore(paths.queue);
  const recovered = await openStore(store, paths.queue);
  try {
    return await run(sub, { store, recovered, path: paths.queue, maxBytes: config.queue.maxBytes, count, json: values.json === true });
  } finally {
    await store.close();
  }
}

interface Ctx {
  readonly store: LevelStore;
  readonly recovered: Recovered;
  readonly path: string;
  readonly maxBytes: number;
  readonly count: number;
  readonly json: boolean;
}

async function run(sub: Sub, ctx: Ctx): Promise<number> {
  const { store, recovered: r, path } = ctx;
  switch (sub) {
    case 'stats':
      printStats(ctx);
      return 0;
    case 'peek':
      for (const e of await store.readAfter(0, ctx.count)) console.log(JSON.stringify(e.sample));
      return 0;
    case 'purge':
      if (r.head !== null) await store.removeRange(r.head.seq, r.lastSeq);
      console.log(`purged ${r.depth} sample(s), ${r.bytes} bytes, from ${path}; the next sample gets seq ${r.lastSeq + 1}`);
      return 0;
  }
}

function printStats({ recovered: r, path, maxBytes, json }: Ctx): void {
  const now = Date.now();
  const oldestTs = r.head?.sample.ts;
  const stats = {
    path,
    depth: r.depth,
    bytes: r.bytes,
    maxBytes,
    oldestTs: oldestTs ?? null,
    oldestAgeMs: oldestTs === undefined ? 0 : Math.max(0, now - oldestTs),
    nextSeq: r.lastSeq + 1,
  };
  if (json) {
    console.log(JSON.stringify(stats));
    return;
  }
  const share = maxBytes > 0 ? ` (${((100 * r.bytes) / maxBytes).toFixed(1)}% of queue.maxBytes ${maxBytes})` : '';
  const oldest = oldestTs === undefined ? 'none (empty)' : `${new Date(oldestTs).toISOString()} (age ${formatAge(stats.oldestAgeMs)})`;
  console.log(
    [
      `queue     ${path}`,
      `depth     ${r.depth} sample(s)`,
      `bytes     ${r.bytes}${share}`,
      `oldest    ${oldest}`,
      `next seq  ${stats.nextSeq}`,
      'dropped   counted by the running gateway (status, health); not stored on disk',
    ].join('\n'),
  );
}

async function openStore(store: LevelStore, path: string): Promise<Recovered> {
  try {
    return await store.open();
  } catch (err) {
    if (isGatewayError(err) && err.code === ERROR_CODES.QUEUE_LOCKED) {
      throw new GatewayError(
        ERROR_CODES.QUEUE_LOCKED,
        `the queue ${path} is locked: a gateway is running on it. Stop the gateway first ` +
          '(while it runs, its summary line and status report the queue)',
        { detail: { path } },
      );
    }
    throw err;
  }
}

function countOption(raw: string | undefined): number {
  if (raw === undefined) return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError(`-n must be an integer 1..100000, got ${raw}`);
  return n;
}

export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
