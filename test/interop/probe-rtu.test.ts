/** `edgeway probe --serial` reads raw registers over a real serial line (socat pty pair). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { BusSimulator } from '../../src/sim/index.js';
import { shippedModel } from '../helpers/bus.js';
import { startPtyPair } from '../helpers/pty-pair.js';
import { REPO } from '../helpers/site.js';

test('probe --serial reads an RTU device and shows every interpretation', { timeout: 60_000 }, async (t) => {
  const pty = await startPtyPair();
  const agv = await shippedModel('acme-robotics/agv-300');
  const bus = new BusSimulator([{ model: agv, unitId: 7 }]);
  for (const s of bus.simulators) s.pause();
  await bus.start();
  await bus.serveRtu(pty.b, { baudRate: 19200, parity: 'even' });
  t.after(async () => {
    await bus.stop();
    await pty.stop();
  });
  bus.simulators[0]?.setPoint('position_x', 12.5); // float32 CDAB at input 120
  const args = ['--import', 'tsx', path.join(REPO, 'src/main.ts'), 'probe', '--serial', pty.a, '--baud', '19200', '--parity', 'even', '--unit', '7', '--table', 'input', '--register', '120', '--count', '2'];
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: REPO }, (err, stdout, stderr) => resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }));
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`^input 120\\.\\.121 from ${pty.a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} unit 7`));
  assert.match(out.stdout, /raw: 0x0000 0x4148/);
  assert.match(out.stdout, /120\.\.121 CDAB: int32 1095237632 {2}uint32 1095237632 {2}float32 12\.5\n/);
});
