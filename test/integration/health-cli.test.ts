/** `edgeway health`: one line, exit 0 only when /readyz says ready (the container HEALTHCHECK). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { healthCommand } from '../../src/cli/health.js';
import { OpsServer } from '../../src/ops/http-server.js';
import { silentLogger } from '../../src/ops/logger.js';
import { GatewayMetrics } from '../../src/ops/metrics.js';
import type { OpsSource, Readiness } from '../../src/ops/ops-source.js';
import { tempDir } from '../helpers/site.js';

async function serve(readiness: Readiness): Promise<OpsServer> {
  const source: OpsSource = { status: () => { throw new Error('not running'); }, readiness: () => readiness, latest: () => new Map(), unitOf: () => undefined };
  const server = new OpsServer({ host: '127.0.0.1', port: 0, statusPage: false, access: { open: false }, source, metrics: new GatewayMetrics(source, {}), logger: silentLogger() });
  await server.start();
  return server;
}

/** Runs the command, returning its exit code and what it printed. */
async function health(argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void out.push(args.join(' '));
  try {
    return { code: await healthCommand(argv), out };
  } finally {
    console.log = log;
  }
}

test('edgeway health: exit 0 when ready, 1 naming what is not ready, 1 when unreachable; one line each', async (t) => {
  const ready = await serve({ ready: true, checks: { config: true, queue: true } });
  const notReady = await serve({ ready: false, checks: { config: true, queue: false, broker: false } });
  const tmp = await tempDir();
  t.after(async () => {
    await ready.stop();
    await notReady.stop();
    await tmp.remove();
  });

  const ok = await health(['--url', `http://127.0.0.1:${ready.port}/readyz`]);
  assert.equal(ok.code, 0);
  assert.equal(ok.out.length, 1);
  assert.match(ok.out[0] ?? '', /^ready /);

  const bad = await health(['--url', `http://127.0.0.1:${notReady.port}/readyz`]);
  assert.equal(bad.code, 1);
  assert.deepEqual(bad.out.map((l) => l.replace(/ \(.*\)$/, '')), ['not ready: queue, broker']);

  const gone = await health(['--url', 'http://127.0.0.1:1/readyz', '--timeout', '2000']);
  assert.equal(gone.code, 1);
  assert.match(gone.out[0] ?? '', /^unreachable: /);

  const file = path.join(tmp.dir, 'site.yaml');
  await writeFile(file, `gateway: { id: hc }\ncloud: { url: "mqtt://cloud.example:1883" }\nops: { http: { enabled: true, host: 0.0.0.0, port: ${ready.port} } }\n`);
  const byConfig = await health(['-c', file]);
  assert.equal(byConfig.code, 0, byConfig.out.join('\n'));
  assert.equal(byConfig.out[0], `ready (http://127.0.0.1:${ready.port}/readyz)`);
});
