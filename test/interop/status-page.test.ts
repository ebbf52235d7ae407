/**
 * The status page end to end in Debian's headless Chromium (playwright-core, no browser download):
 * `edgeway demo` on free ports, the page loads, shows both demo devices with their link state and
 * values, and a value changes on screen. Needs `apt-get install chromium` (done by .ci/run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { REPO, tempDir, until } from '../helpers/site.js';
import { freePort } from '../helpers/free-port.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface DemoDoc {
  gateway: Record<string, unknown>;
  devices: { connection: { port: number } }[];
  broker: { port: number };
  cloud: { url: string };
  ops: { http: { port: number } };
}

test('status page in headless Chromium: demo devices listed, link state shown, a value changes on screen', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const doc = parse(await readFile(path.join(REPO, 'config/demo.yaml'), 'utf8')) as DemoDoc;
  const [agv, ahu, broker, cloud, ops] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  doc.gateway = { ...doc.gateway, dataDir: path.join(tmp.dir, 'data'), modelPaths: [path.join(REPO, 'adapters')] };
  doc.devices[0]!.connection.port = agv;
  doc.devices[1]!.connection.port = ahu;
  doc.broker.port = broker;
  doc.cloud.url = `mqtt://127.0.0.1:${cloud}`;
  doc.ops.http.port = ops;
  const file = path.join(tmp.dir, 'demo.yaml');
  await writeFile(file, stringify(doc));

  const demo = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'demo', '-c', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
  t.after(() => void demo.kill('SIGKILL'));
  const lines: string[] = [];
  createInterface({ input: demo.stdout }).on('line', (l) => lines.push(l));
  await until(() => lines.some((l) => l.startsWith('Status page: ')), 'the demo banner', 20_000);
  const url = lines.find((l) => l.startsWith('Status page: '))?.slice('Status page: '.length) ?? '';
  assert.equal(url, `http://127.0.0.1:${ops}/`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('section[data-device="agv-01"] td[data-point]', { timeout: 15_000 });
  await page.waitForSelector('section[data-device="ahu-01"] td[data-point]', { timeout: 15_000 });
  assert.equal(await page.textContent('#gw'), 'demo-site');
  assert.equal(await page.textContent('section[data-device="agv-01"] .pill'), 'up');
  assert.equal(await page.textContent('section[data-device="ahu-01"] .pill'), 'up');
  await page.waitForFunction(`document.getElementById('cloud')?.textContent === 'online'`, undefined, { timeout: 15_000 });

  // A value on screen changes: the AGV moves, so its position is re-read and re-rendered.
  const cell = 'td[data-point="agv-01/position_x"]';
  const first = await page.textContent(cell);
  assert.match(first ?? '', /^-?\d+(\.\d+)? m$/);
  await page.waitForFunction(`document.querySelector(${JSON.stringify(cell)})?.textContent !== ${JSON.stringify(first)}`, undefined, { timeout: 15_000 });
  assert.notEqual(await page.textContent(cell), first);

  const shot = path.join(os.tmpdir(), 'edgeway-status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  await browser.close();
  demo.kill('SIGINT');
  assert.equal(await exited, 0);
});
