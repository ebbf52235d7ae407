/**
 * `edgeway passwd [--stdin]`: prints an scrypt hash of a password for `broker.users[].passwordHash`.
 * The password is never an argument (it would land in shell history and the process list): it is
 * read from a terminal prompt without echo, or with --stdin (or any non-terminal stdin) from the
 * first line of standard input.
 */
import { hashPassword } from '../broker/password.js';
import { parse, UsageError } from './args.js';

export const passwdHelp = `Usage: edgeway passwd [--stdin]

Prints a password hash for an embedded-broker user, to paste into the site config:
  broker: { users: [ { username: hmi, passwordHash: "scrypt$16384$8$1$..." } ] }

Options:
  --stdin      read the password from the first line of standard input (scripts, pipes)
  -h, --help   show this help

Without --stdin, a terminal is asked twice, without echo; a pipe is read as with --stdin.`;

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
}

/** Reads one line from the terminal with echo off. Ctrl-C or Ctrl-D aborts. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    stdin.setRawMode(true);
    stdin.resume();
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new UsageError('aborted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function passwdCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { stdin: { type: 'boolean' } });
  if (values.help) {
    console.log(passwdHelp);
    return 0;
  }
  let password: string;
  if (values.stdin || !process.stdin.isTTY) {
    password = await readFirstLine();
  } else {
    password = await promptHidden('Password: ');
    if ((await promptHidden('Again: ')) !== password) throw new UsageError('the two passwords differ');
  }
  if (password === '') throw new UsageError('empty password');
  console.log(await hashPassword(password));
  return 0;
}
