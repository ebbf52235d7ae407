/** `edgeway schema`: writes (or checks) the JSON Schemas in config/schema/. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSchemas, SCHEMA_DIR } from '../config/json-schema.js';
import { PACKAGE_ROOT } from '../version.js';
import { parse } from './args.js';
import { help } from './validate.js';

export const schemaHelp = `Usage: edgeway schema [--out <dir>] [--check]

Writes the JSON Schemas of site configs and device models, generated from the same zod schemas the
gateway validates with. Editors with the YAML language server then autocomplete config/*.yaml and
adapters/**/*.yaml (the files name their schema with a "$schema" key).

Options:
  --out <dir>   where to write (default: ${SCHEMA_DIR} of the Edgeway package)
  --check       write nothing; exit 1 if the files differ from what would be written
  -h, --help    show this help`;

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' }, check: { type: 'boolean' } });
  if (values.help) return help(schemaHelp);
  const dir = values.out ?? path.join(PACKAGE_ROOT, SCHEMA_DIR);
  let stale = 0;
  for (const [name, text] of Object.entries(jsonSchemas())) {
    const file = path.join(dir, name);
    if (values.check) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== text) {
        stale++;
        console.error(`${file}: out of date (run: edgeway schema)`);
      }
      continue;
    }
    await mkdir(dir, { recursive: true });
    await writeFile(file, text);
    console.log(`wrote ${file}`);
  }
  return stale > 0 ? 1 : 0;
}
