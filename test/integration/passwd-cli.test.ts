/** `edgeway passwd --stdin`: prints a hash that verifies, refuses an empty password, is listed in help. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { verifyPassword } from '../../src/broker/password.js';
import { PASSWORD_HASH_RE } from '../../src/config/site-schema.js';
import { isCliCommand } from '../helpers/cli-command.js';

const MAIN = path.join(import.meta.dirname, '../../src/main.ts');

function passwd(input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', MAIN, 'passwd', '--stdin'], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

test('edgeway passwd --stdin prints an scrypt hash of the first line; an empty one is refused', { timeout: 30_000 }, async () => {
  assert.ok(await isCliCommand('passwd'));
  const ok = await passwd('s3cret pass\nignored second line\n');
  assert.equal(ok.code, 0, ok.stderr);
  const hash = ok.stdout.trim();
  assert.match(hash, PASSWORD_HASH_RE);
  assert.equal(await verifyPassword('s3cret pass', hash), true);
  assert.equal(await verifyPassword('ignored second line', hash), false);
  const empty = await passwd('\n');
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty password/);
});
