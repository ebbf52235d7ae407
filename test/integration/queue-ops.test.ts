/**
 * Operator paths of the durable queue, through the real CLI in child processes on a real LevelDB
 * directory: `edgeway queue stats|peek|purge`, the lock of a running gateway, and a damaged
 * directory (`edgeway run` refuses with the way out; `--reset-corrupt-queue` moves it aside).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { Sample } from '../../src/model/sample.js';
import { LevelQueue } from '../../src/queue/level-queue.js';
import { loadTestSite, REPO, tempDir, writeSite } from '../helpers/site.js';

const MAIN = path.join(REPO, 'src/main.ts');
const OPTS = { maxBytes: 1e9, maxAgeMs: 0, overflow: 'drop-oldest', sync: false } as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function edgeway(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

function samples(count: number, ts0: number): Sample[] {
  return Array.from({ length: count }, (_, k) => ({ device: 'agv-01', point: 'battery_pct', ts: ts0 + k, value: k, quality: 'good' as const }));
}

describe('edgeway queue and a damaged queue directory', () => {
  let tmp: { dir: string; remove(): Promise<void> };
  let file = '';
  let queueDir = '';

  before(async () => {
    tmp = await tempDir();
    // Nothing listens on port 1: the cloud is never reached; the tests only look at the queue.
    file = await writeSite(tmp.dir, { cloudUrl: 'mqtt://127.0.0.1:1', devices: [], extra: { log: { level: 'info' } } });
    queueDir = (await loadTestSite(file)).paths.queue;
  });
  after(() => tmp.remove());

  it('stats, peek and purge report and empty a stopped gateway\'s queue; seqs continue after a purge', async () => {
    assert.match((await edgeway('queue', 'stats', '-c', file)).stderr, /there is no queue at/);
    const q = new LevelQueue(queueDir, OPTS);
    await q.start();
    const ts0 = Date.now() - 60_000;
    const queued = await q.append(samples(25, ts0));
    const bytes = q.stats().bytes;
    await q.stop();

    const stats = await edgeway('queue', 'stats', '-c', file);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /depth\s+25 sample/);
    assert.match(stats.stdout, new RegExp(`bytes\\s+${bytes} `));
    assert.match(stats.stdout, /oldest .*\(age 1m \d+s\)/);
    assert.match(stats.stdout, /next seq\s+26/);
    const json = JSON.parse((await edgeway('queue', 'stats', '-c', file, '--json')).stdout) as Record<string, unknown>;
    assert.deepEqual([json.depth, json.bytes, json.nextSeq, json.oldestTs], [25, bytes, 26, ts0]);

    const peek = await edgeway('queue', 'peek', '-c', file, '-n', '3');
    assert.equal(peek.code, 0, peek.stderr);
    assert.deepEqual(peek.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown), queued.slice(0, 3));

    const unconfirmed = await edgeway('queue', 'purge', '-c', file);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /--yes/);
    const purge = await edgeway('queue', 'purge', '-c', file, '--yes');
    assert.equal(purge.code, 0, purge.stderr);
    assert.match(purge.stdout, /purged 25 sample\(s\), \d+ bytes, from .*; the next sample gets seq 26/);
    assert.match((await edgeway('queue', 'stats', '-c', file)).stdout, /depth\s+0 sample/);

    const again = new LevelQueue(queueDir, OPTS);
    await again.start();
    assert.deepEqual((await again.append(samples(1, Date.now()))).map((s) => s.seq), [26], 'the sequence continues after a purge');
    await again.stop();
  });

  it('says clearly that a running gateway holds the queue (QUEUE_LOCKED, exit 1, no stack trace)', async () => {
    const running = new LevelQueue(queueDir, OPTS); // holds the LevelDB lock like a running gateway
    await running.start();
    try {
      for (const sub of ['stats', 'peek', 'purge']) {
        const r = await edgeway('queue', sub, '-c', file, '--yes');
        assert.equal(r.code, 1, sub);
        assert.match(r.stderr, /a gateway is running on it\. Stop the gateway first.*\[EW_QUEUE_LOCKED\]/, sub);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
    } finally {
      await running.stop();
    }
  });

  for (const damage of ['garbage MANIFEST', 'CURRENT names a missing MANIFEST'] as const) {
    it(`a damaged directory (${damage}): run refuses with EW_QUEUE_CORRUPT and the way out; --reset-corrupt-queue keeps it aside and starts empty`, async () => {
      const q = new LevelQueue(queueDir, OPTS);
      await q.start();
      await q.append(samples(50, Date.now()));
      await q.stop();
      const files = await readdir(queueDir);
      const manifest = files.find((f) => f.startsWith('MANIFEST-'));
      assert.ok(manifest);
      if (damage === 'garbage MANIFEST') await writeFile(path.join(queueDir, manifest), 'this is not a manifest at all'.repeat(20));
      else await writeFile(path.join(queueDir, 'CURRENT'), 'MANIFEST-999999\n');

      const refused = await edgeway('run', '-c', file);
      assert.equal(refused.code, 1);
      assert.ok(refused.stderr.includes(queueDir), refused.stderr);
      assert.match(refused.stderr, /\[EW_QUEUE_CORRUPT\]/);
      assert.ok(refused.stderr.includes(`edgeway run -c ${file} --reset-corrupt-queue`), refused.stderr);
      assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual((await readdir(path.dirname(queueDir))).filter((f) => f.startsWith('queue')).sort(), ['queue'], 'nothing was moved aside without the flag');

      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', '-c', file, '--reset-corrupt-queue'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const logs: string[] = [];
      const started = new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          logs.push(line);
          if (line.includes('gateway started')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before starting:\n${stderr}\n${logs.join('\n')}`)));
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await started;
      child.kill('SIGTERM');
      assert.equal(await exited, 0);

      const entries = await readdir(path.dirname(queueDir));
      const aside = entries.filter((e) => /^queue\.corrupt-\d{8}T\d{6}Z$/.test(e));
      assert.equal(aside.length, 1, `the damaged directory is kept aside: ${entries.join(', ')}`);
      assert.ok(entries.includes('queue'), 'a fresh queue directory was created');
      const movedTo = path.join(path.dirname(queueDir), aside[0] ?? '');
      assert.ok((await readdir(movedTo)).includes('CURRENT'), 'the damaged files are kept');
      const errorLine = logs.map((l) => JSON.parse(l) as { level: number; msg: string; movedTo?: string }).find((l) => l.msg.includes('moved aside'));
      assert.ok(errorLine, logs.join('\n'));
      assert.equal(errorLine.level, 50, 'logged at error level');
      assert.equal(errorLine.movedTo, movedTo);
      assert.match(stderr, /starting with an empty queue/);
      const fresh = await edgeway('queue', 'stats', '-c', file, '--json');
      assert.equal((JSON.parse(fresh.stdout) as { depth: number }).depth, 0);
      await rm(movedTo, { recursive: true });
    });
  }
});
