/** The journal of acting command answers: damaged lines and entries past the window are dropped at start. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AnswerJournal } from '../../src/commands/answer-journal.js';
import { silentLogger } from '../../src/ops/logger.js';
import { tempDir } from '../helpers/site.js';

test('answer journal: keeps in-window entries across a restart, skips damaged lines, compacts, mode 0600', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const file = path.join(tmp.dir, 'commands', 'answers.jsonl');
  const j = new AnswerJournal(file, silentLogger());
  assert.deepEqual(await j.start(60_000, 1_000_000), []);
  const ok = { id: 'w-1', ok: true as const, result: { ts: 1, value: 3, quality: 'good' } };
  await j.append({ id: 'old', fingerprint: 'f0', at: 900_000, answer: ok });
  await j.append({ id: 'w-1', fingerprint: 'f1', at: 990_000, answer: ok });
  await j.stop();
  await writeFile(file, `${await readFile(file, 'utf8')}{"id":"torn-wri\n`);

  const again = new AnswerJournal(file, silentLogger());
  const entries = await again.start(60_000, 1_000_000);
  await again.stop();
  assert.deepEqual(entries.map((e) => e.id), ['w-1'], 'the old entry and the torn line are gone');
  assert.deepEqual(entries[0]?.answer, ok);
  assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 1, 'compacted');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});
