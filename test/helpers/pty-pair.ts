/**
 * A virtual serial cable: `socat` joins two ptys, linked at <dir>/ttyA and <dir>/ttyB (Debian
 * package socat; installed by .ci/run). Bytes written to one end come out of the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './site.js';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  stop(): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export async function startPtyPair(): Promise<PtyPair> {
  const tmp = await tempDir('edgeway-pty-');
  const a = path.join(tmp.dir, 'ttyA');
  const b = path.join(tmp.dir, 'ttyB');
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let failure: Error | undefined;
  child.once('error', (err) => (failure = new Error(`socat did not start (apt-get install socat): ${err.message}`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await tmp.remove();
  };
  const deadline = Date.now() + 5000;
  while (!(await exists(a)) || !(await exists(b))) {
    if (failure || Date.now() > deadline) {
      await stop().catch(() => undefined);
      throw failure ?? new Error('socat did not create the pty pair within 5 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { a, b, stop };
}
