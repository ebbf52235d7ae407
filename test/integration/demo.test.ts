/**
 * The README's first command as a user sees it: `edgeway demo` starts simulators, the gateway and a
 * stand-in cloud broker, prints where to look and a summary line, and Ctrl-C stops it cleanly.
 * `edgeway sub` shows what the cloud receives; the `edgeway command` line it prints answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli-command.js';
import { REPO, tempDir, until } from '../helpers/site.js';
import { freePort } from '../helpers/free-port.js';

function start(args: string[]): { child: ChildProcess; lines: string[]; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(`stderr: ${l}`));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exit };
}

test('edgeway demo: data flows end to end, the summary reports it, Ctrl-C stops cleanly', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  // The shipped demo config on free ports, so the test never collides with a running demo.
  const doc = parse(await readFile(path.join(REPO, 'config/demo.yaml'), 'utf8')) as {
    gateway: Record<string, unknown>; devices: { connection: { port: number } }[]; broker: { port: number }; cloud: { url: string }; ops: { http: { port: number } };
  };
  const [agvPort, ahuPort, brokerPort, cloudPort, opsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  doc.ops.http.port = opsPort!;
  doc.gateway = { ...doc.gateway, dataDir: path.join(tmp.dir, 'data'), modelPaths: [path.join(REPO, 'adapters')], summaryInterval: 500 };
  doc.devices[0]!.connection.port = agvPort!;
  doc.devices[1]!.connection.port = ahuPort!;
  doc.broker.port = brokerPort!;
  doc.cloud.url = `mqtt://127.0.0.1:${cloudPort}`;
  const file = path.join(tmp.dir, 'demo.yaml');
  await writeFile(file, stringify(doc));

  const demo = start(['demo', '-c', file]);
  t.after(() => demo.child.kill('SIGKILL'));
  const summary = /devices up 2\/2 \| [\d.]+ samples\/s \| queued \d+ \| delivered (\d+) \| cloud online/;
  await until(() => demo.lines.some((l) => Number(summary.exec(l)?.[1] ?? 0) > 0), 'a summary line with deliveries', 20_000);
  const text = demo.lines.join('\n');
  assert.match(text, new RegExp(`mosquitto_sub -h 127\\.0\\.0\\.1 -p ${cloudPort} -t 'edgeway/demo-site/#' -v`));
  assert.match(text, new RegExp(`acme-robotics/agv-300 +127\\.0\\.0\\.1:${agvPort}`));
  assert.ok(text.includes(`Status page: http://127.0.0.1:${opsPort}/`), 'the banner shows the status page URL');

  // The banner's cloud command line works as printed.
  const commandLine = /npm run --silent edgeway -- (command --url \S+ --gateway demo-site status)$/m.exec(text)?.[1];
  assert.ok(commandLine, 'the banner shows an edgeway command example');
  const asked = await runCli(commandLine.split(' '));
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /^agv-01 +up /m);
  assert.match(asked.stdout, /^ahu-01 +up /m);

  // An edit of the config file is applied live and the demo says what it did; a broken edit is not applied.
  const devices = doc.devices as unknown as Record<string, unknown>[];
  const agv = devices[0];
  assert.equal(agv?.id, 'agv-01');
  agv.connection = { ...(agv.connection as Record<string, unknown>), timeout: '2s' };
  await writeFile(file, stringify(doc));
  await until(() => demo.lines.some((l) => /demo\.yaml edited: applied without a restart \(restarted agv-01\)/.test(l)), 'the edit is applied and reported', 15_000);
  await writeFile(file, stringify({ ...doc, devices: [...devices, { id: 'agv-01', model: 'acme-robotics/agv-300', connection: { transport: 'tcp', host: '127.0.0.1', port: 1 } }] }));
  await until(() => demo.lines.some((l) => /demo\.yaml edited: NOT applied \(invalid\)/.test(l)), 'the broken edit is refused', 15_000);
  assert.ok(demo.lines.some((l) => /demo\.yaml:\d+: devices\[3\]\.id: duplicate device id "agv-01"/.test(l)), demo.lines.slice(-5).join('\n'));

  const sub = start(['sub', '--url', `mqtt://127.0.0.1:${cloudPort}`, '--topic', 'edgeway/demo-site/#']);
  t.after(() => sub.child.kill('SIGKILL'));
  await until(() => sub.lines.some((l) => /^edgeway\/demo-site\/data batch seq \d+\.\.\d+ \(\d+ samples(, deflate \d+ bytes)?\)/.test(l)), 'a batch seen by edgeway sub', 20_000);
  assert.ok(sub.lines.some((l) => l.startsWith('edgeway/demo-site/status {"state":"online"')), 'the retained online status');
  sub.child.kill('SIGINT');
  assert.equal(await sub.exit, 0);

  demo.child.kill('SIGINT');
  assert.equal(await demo.exit, 0, demo.lines.slice(-5).join('\n'));
  assert.ok(demo.lines.includes('stopped cleanly.'));
});
