/**
 * Test helper: whether `edgeway <command>` is a real command of the CLI. Asks the CLI itself
 * (`edgeway <command> --help` must print help and exit 0), so a renamed or missing command fails.
 */
import { main } from '../../src/cli/index.js';

export async function cliHelp(command: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    const code = await main([command, '--help']);
    return { code, out: out.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

export async function isCliCommand(command: string): Promise<boolean> {
  const { code, out } = await cliHelp(command);
  return code === 0 && !out.includes('unknown command') && out.includes(`Usage: edgeway ${command}`);
}

/**
 * Runs `edgeway <argv...>` through the CLI's entry point (src/cli/index.ts main, as src/main.ts
 * does) and returns its exit code with what it printed to stdout and stderr. In-process: quick
 * enough to run a command per assertion; commands must not call process.exit.
 */
export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
