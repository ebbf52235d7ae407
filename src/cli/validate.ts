/** `edgeway validate -c <config>`: every problem in the config and the models it uses, at once. */
import { loadSite } from '../config/load-site.js';
import { formatProblem } from '../config/problems.js';
import { parse, requireString } from './args.js';

export const validateHelp = `Usage: edgeway validate -c <config.yaml>

Checks a site config and every device model in its model paths without starting anything.
Prints each problem as "file:line: path: message (hint)"; exit code 0 when valid, 1 otherwise.

Options:
  -c, --config <file>   site config to check
  -h, --help            show this help`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' } });
  if (values.help) return help(validateHelp);
  const file = requireString(values.config, '-c <config.yaml>');
  const result = await loadSite(file);
  if (!result.ok) {
    for (const p of result.problems) console.error(formatProblem(p));
    console.error(`\n${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found; nothing was started.`);
    return 1;
  }
  const { site } = result;
  const points = site.devices.reduce((n, d) => n + d.model.points.length, 0);
  console.log(`${file}: valid (${site.devices.length} devices, ${points} points, ${site.catalog.models.size} models)`);
  return 0;
}

export function help(text: string): number {
  console.log(text);
  return 0;
}
