/**
 * Loads device models from model paths: every adapters/<vendor>/<model>.yaml below each directory.
 * A later directory may override a model of an earlier one (site models over built-in ones).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { modelSchema } from '../config/model-schema.js';
import { problemsFromZod, type ConfigProblem } from '../config/problems.js';
import { readYamlFile } from '../config/yaml-file.js';
import { resolveModel } from './resolve.js';
import type { DeviceModel, ModbusModel } from './types.js';

export interface Catalog {
  readonly models: ReadonlyMap<string, DeviceModel>;
  /** Ids (from the file location) of model files that have problems. */
  readonly invalid: ReadonlySet<string>;
  readonly problems: readonly ConfigProblem[];
}

export async function loadModelFile(file: string, expectedId?: string): Promise<{ model?: DeviceModel; problems: ConfigProblem[] }> {
  const { yaml, problems } = await readYamlFile(file);
  if (!yaml) return { problems };
  const parsed = modelSchema.safeParse(yaml.data, { reportInput: true });
  const withLines = (ps: ConfigProblem[]) => ps.map((p) => ({ ...p, line: p.line ?? yaml.lineOf(p.path) }));
  if (!parsed.success) return { problems: withLines([...problems, ...problemsFromZod(file, parsed.error.issues, modelSchema)]) };
  if (expectedId !== undefined && parsed.data.id !== expectedId) {
    problems.push({ file, path: ['id'], message: `id "${parsed.data.id}" does not match the file location`, hint: `use id: ${expectedId}, or move the file to <vendor>/<model>.yaml matching its id` });
  }
  const resolved = resolveModel(parsed.data, file);
  const all = withLines([...problems, ...resolved.problems]);
  return all.length > 0 || !resolved.model ? { problems: all } : { model: resolved.model, problems: [] };
}

/** A model file that must hold a Modbus model (simulators, benches, Modbus tests). */
export async function loadModbusModelFile(file: string, expectedId?: string): Promise<{ model?: ModbusModel; problems: ConfigProblem[] }> {
  const { model, problems } = await loadModelFile(file, expectedId);
  if (!model || model.protocol === 'modbus') return { ...(model ? { model } : {}), problems };
  return { problems: [{ file, path: ['protocol'], message: `a Modbus model is needed here, not ${model.protocol}` }] };
}

async function listModelFiles(dir: string): Promise<string[] | undefined> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
  } catch {
    return undefined;
  }
}

/** Loads every model below `dirs`; problems from all files are collected, none stops the others. */
export async function loadCatalog(dirs: readonly string[], origin = 'gateway.modelPaths'): Promise<Catalog> {
  const models = new Map<string, DeviceModel>();
  const invalid = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const dir of dirs) {
    const files = await listModelFiles(dir);
    if (files === undefined) {
      problems.push({ file: dir, path: [], message: 'model directory not found', hint: `check ${origin}` });
      continue;
    }
    for (const file of files) {
      const rel = path.relative(dir, file).replace(/\\/g, '/');
      const expectedId = rel.replace(/\.ya?ml$/, '');
      const loaded = await loadModelFile(file, expectedId.includes('/') ? expectedId : undefined);
      problems.push(...loaded.problems);
      if (loaded.model) models.set(loaded.model.id, loaded.model);
      else invalid.add(expectedId);
    }
  }
  return { models, invalid, problems };
}
