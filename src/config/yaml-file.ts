/**
 * Reads a YAML file into plain data, keeping what is needed to point problems at lines, and
 * substitutes ${ENV_VAR} (or ${ENV_VAR:-default}) in string values so secrets stay out of files.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { ConfigPath, ConfigProblem } from './problems.js';

export interface YamlFile {
  readonly file: string;
  readonly data: unknown;
  /** Line (1-based) of the value at `path`, or of its nearest existing parent. */
  lineOf(path: ConfigPath): number | undefined;
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export async function readYamlFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ yaml?: YamlFile; problems: ConfigProblem[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`;
    return { problems: [{ file, path: [], message, hint: 'check the path given with -c' }] };
  }
  return parseYamlText(file, text, env);
}

export function parseYamlText(file: string, text: string, env: NodeJS.ProcessEnv = process.env) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      file,
      path: [],
      line: lineCounter.linePos(e.pos[0]).line,
      message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`,
      hint: 'check indentation and quoting around this line',
    }));
    return { problems };
  }
  const problems: ConfigProblem[] = [];
  const data = substituteEnv(doc.toJS({ maxAliasCount: 100 }) as unknown, [], env, (path, name) => {
    problems.push({ file, path, message: `environment variable ${name} is not set`, hint: `export ${name}=... or use \${${name}:-default}` });
  });
  const lineOf = (path: ConfigPath) => nodeLine(doc, lineCounter, path);
  const withLines = problems.map((p) => ({ ...p, line: lineOf(p.path) }));
  return { yaml: { file, data, lineOf }, problems: withLines };
}

function nodeLine(doc: Document, lc: LineCounter, path: ConfigPath): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && Array.isArray(node.range)) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

type OnMissing = (path: PropertyKey[], name: string) => void;

function substituteEnv(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, onMissing: OnMissing): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_RE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name] ?? fallback;
      if (v === undefined) onMissing(path, name);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, onMissing));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, [...path, k], env, onMissing);
    return out;
  }
  return value;
}
