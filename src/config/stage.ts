/**
 * Turns a desired config from the cloud into a loaded site with the same loader as files: the site
 * and its models are written under a staging directory and loaded from there, relative paths
 * resolving against the original site file's directory. Problems are mapped back to paths inside
 * the desired message, so the cloud operator sees `site.devices[1].connection.port`, not a temp file.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSite, type LoadedSite } from './load-site.js';
import { formatPath, type ConfigProblem } from './problems.js';
import type { DesiredConfig, RemoteProblem } from './remote-payload.js';
import { REMOTE_MODEL_ID_RE } from './remote-payload.js';

export type StageResult = { ok: true; site: LoadedSite } | { ok: false; problems: RemoteProblem[] };

export const STAGED_SITE = 'site.json';
export const STAGED_MODELS = 'models';

/** Replaces `dir` with the staged files and loads them. */
export async function stageDesired(desired: Pick<DesiredConfig, 'site' | 'models'>, dir: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): Promise<StageResult> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const siteFile = path.join(dir, STAGED_SITE);
  await writeFile(siteFile, JSON.stringify(desired.site, null, 2));
  const modelsDir = path.join(dir, STAGED_MODELS);
  const models = Object.entries(desired.models ?? {});
  for (const [id, model] of models) {
    // Checked by the envelope schema already; checked again because this becomes a file path.
    if (!REMOTE_MODEL_ID_RE.test(id) || id.split('/').some((part) => part === '.' || part === '..')) throw new Error(`unsafe model id ${JSON.stringify(id)}`);
    const file = path.join(modelsDir, `${id}.yaml`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(model, null, 2));
  }
  const result = await loadSite(siteFile, env, { baseDir, extraModelPaths: models.length > 0 ? [modelsDir] : [] });
  if (result.ok) return result;
  return { ok: false, problems: result.problems.map((p) => toRemoteProblem(p, siteFile, modelsDir)) };
}

function toRemoteProblem(p: ConfigProblem, siteFile: string, modelsDir: string): RemoteProblem {
  const hint = p.hint === undefined ? {} : { hint: p.hint };
  const inner = p.path.length === 0 ? '' : formatPath(p.path).replace(/^(?!\[)/, '.');
  if (p.file === siteFile) return { path: `site${inner}`, message: p.message, ...hint };
  const rel = path.relative(modelsDir, p.file);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { path: `models[${JSON.stringify(rel.replace(/\\/g, '/').replace(/\.yaml$/, ''))}]${inner}`, message: p.message, ...hint };
  }
  return { path: formatPath(p.path), file: p.file, message: p.message, ...hint };
}
