/**
 * Test helper: a small Dockerfile reader for static checks (no Docker engine needed). Joins
 * continuation lines, drops comments, and groups instructions by build stage.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  readonly args: string;
  /** The exec form (["a", "b"]) when args is a JSON array of strings, else undefined. */
  readonly exec?: readonly string[];
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM. */
  readonly globalArgs: Instruction[];
  readonly stages: Stage[];
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    if (!Array.isArray(v)) return undefined;
    const words = v.filter((x): x is string => typeof x === 'string');
    return words.length === v.length ? words : undefined;
  } catch {
    return undefined;
  }
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i] ?? '';
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      logical = logical.trimEnd().slice(0, -1);
      i++;
      const next = lines[i] ?? '';
      if (!/^\s*#/.test(next)) logical += ` ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot read "${logical}"`);
    const keyword = (m[1] ?? '').toUpperCase();
    const args = (m[2] ?? '').trim();
    const exec = execForm(args);
    const ins: Instruction = { keyword, args, line: start + 1, ...(exec ? { exec } : {}) };
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: f?.[1] ?? args, ...(f?.[2] ? { name: f[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      globalArgs.push(ins);
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export function readDockerfile(file: string): Dockerfile {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/** The instructions of `stage` with this keyword. */
export function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The last instruction of `stage` with this keyword (the one Docker uses for CMD, ENTRYPOINT…). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return all(stage, keyword).at(-1);
}
