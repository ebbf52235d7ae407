/**
 * The Dockerfile, checked statically (no Docker engine here): the image promises of the README
 * (multi-stage, non-root, tini, volumes, ports, health check through the CLI) and the default
 * container config.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadSite } from '../../src/config/load-site.js';
import { formatProblem } from '../../src/config/problems.js';
import { isCliCommand } from '../helpers/cli-command.js';
import { all, last, readDockerfile, type Stage } from '../helpers/dockerfile.js';
import { REPO, tempDir } from '../helpers/site.js';

const docker = readDockerfile(path.join(REPO, 'Dockerfile'));
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const final = docker.stages.at(-1) as Stage;

/** The ops HTTP contract (ops.http in src/config/site-schema.ts; served by part A of issue 7). */
export const OPS_PORT = 9464;

function jsonArray(args: string): string[] {
  const v: unknown = JSON.parse(args);
  assert.ok(Array.isArray(v));
  return v as string[];
}

/** `COPY [--from=x] src... dest` -> { from, sources, dest }. */
function copies(stage: Stage) {
  return all(stage, 'COPY').map((c) => {
    const words = c.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const rest = words.filter((w) => !w.startsWith('--'));
    return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
  });
}

describe('Dockerfile', () => {
  test('is multi-stage: the final stage copies the build output from a build stage', () => {
    assert.ok(docker.stages.length >= 2, 'at least a build stage and a runtime stage');
    const names = new Set(docker.stages.slice(0, -1).map((s) => s.name));
    const fromBuild = copies(final).filter((c) => c.from !== undefined);
    assert.ok(fromBuild.length > 0);
    for (const c of fromBuild) assert.ok(names.has(c.from), `COPY --from=${c.from} names an earlier stage`);
    assert.deepEqual(fromBuild.map((c) => c.sources).flat().sort(), ['/app/dist', '/app/node_modules']);
  });

  test('copies only production dependencies into the image', () => {
    const build = docker.stages.find((s) => s.name === copies(final).find((c) => c.from)?.from) as Stage;
    const runs = all(build, 'RUN').map((r) => r.args).join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm prune --omit=dev/, 'dev dependencies are pruned before node_modules is copied');
    assert.ok(runs.indexOf('npm prune') > runs.indexOf('npm run build'), 'pruned after the build');
    // The runtime stage installs nothing from npm itself and sets production mode.
    assert.doesNotMatch(all(final, 'RUN').map((r) => r.args).join('\n'), /\bnpm\b/);
    assert.match(all(final, 'ENV').map((e) => e.args).join('\n'), /NODE_ENV=production/);
    const sources = copies(final).filter((c) => c.from === undefined).flatMap((c) => c.sources);
    for (const s of sources) assert.ok(!/^(src|test|bench)\b/.test(s), `${s}: no sources or tests in the image`);
  });

  test('runs as a non-root user', () => {
    const user = last(final, 'USER');
    assert.ok(user, 'USER is set in the final stage');
    assert.ok(!['root', '0', '0:0'].includes(user.args), `USER ${user.args} is not root`);
    const userIndex = final.instructions.indexOf(user);
    const afterUser = final.instructions.slice(userIndex + 1).filter((i) => i.keyword === 'USER');
    assert.deepEqual(afterUser, [], 'no USER switches back');
  });

  test('declares the volumes /data and /app/config', () => {
    const volumes = all(final, 'VOLUME').flatMap((v) => v.exec ?? v.args.split(/\s+/));
    assert.deepEqual([...volumes].sort(), ['/app/config', '/data']);
  });

  test('exposes the broker port 1883 and the ops HTTP port 9464', () => {
    const ports = all(final, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map((p) => Number(p.replace(/\/tcp$/, '')));
    assert.deepEqual(ports.sort((a, b) => a - b), [1883, OPS_PORT]);
  });

  test('starts node dist/main.js under tini, with a CMD that is a real CLI command', async () => {
    const entry = last(final, 'ENTRYPOINT')?.exec;
    assert.deepEqual(entry, ['tini', '--', 'node', '/app/dist/main.js']);
    assert.match(all(final, 'RUN').map((r) => r.args).join('\n'), /apt-get install[^\n]*\btini\b/);
    const cmd = last(final, 'CMD')?.exec;
    assert.ok(cmd?.[0], 'CMD in exec form');
    assert.equal(await isCliCommand(cmd[0]), true, `edgeway ${cmd[0]} exists`);
    assert.deepEqual(cmd, ['run', '-c', '/app/config/site.yaml']);
    assert.ok(copies(final).some((c) => c.sources.includes('config/container.yaml') && c.dest === './config/site.yaml'));
  });

  test('HEALTHCHECK runs `edgeway health` on the mounted config', async () => {
    const hc = last(final, 'HEALTHCHECK');
    assert.ok(hc);
    const m = /\bCMD\s+(\[.*\])$/.exec(hc.args);
    assert.ok(m?.[1], 'exec form');
    const argv = jsonArray(m[1]);
    assert.deepEqual(argv, ['node', '/app/dist/main.js', 'health', '-c', '/app/config/site.yaml']);
    assert.equal(await isCliCommand('health'), true, 'edgeway health exists');
    assert.match(hc.args, /--interval=\d+s/);
    assert.match(hc.args, /--start-period=\d+s/);
  });

  test('has OCI labels and a VERSION build argument that reaches the version label', () => {
    const arg = all(final, 'ARG').find((a) => a.args.startsWith('VERSION'));
    assert.equal(arg?.args, `VERSION=${pkg.version}`, 'default VERSION is the package.json version');
    const labels = all(final, 'LABEL').map((l) => l.args).join(' ');
    for (const key of ['title', 'description', 'version', 'licenses']) assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
    assert.match(labels, /org\.opencontainers\.image\.version="\$\{VERSION\}"/);
  });

  test('documents the multi-arch buildx command for amd64 and arm64', () => {
    const text = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    assert.match(text, /docker buildx build --platform linux\/amd64,linux\/arm64/);
  });
});

describe('config/container.yaml', () => {
  const file = path.join(REPO, 'config/container.yaml');
  const env = { EDGEWAY_CLOUD_URL: 'mqtts://cloud.example:8883', EDGEWAY_BROKER_PASSWORD: 'secret' };

  /** Lays the file out as the image does: /app/config/site.yaml beside /app/adapters. */
  async function asInImage(dir: string): Promise<string> {
    await mkdir(path.join(dir, 'config'));
    const site = path.join(dir, 'config/site.yaml');
    await writeFile(site, readFileSync(file, 'utf8'));
    await cp(path.join(REPO, 'adapters'), path.join(dir, 'adapters'), { recursive: true });
    return site;
  }

  test('validates with the environment the image documents, with the ops server on at 9464 and data on /data', async () => {
    const tmp = await tempDir();
    try {
      const result = await loadSite(await asInImage(tmp.dir), env);
      assert.ok(result.ok, result.ok ? '' : result.problems.map((p) => formatProblem(p)).join('\n'));
      const { config, paths } = result.site;
      assert.equal(config.ops.http.enabled, true);
      assert.equal(config.ops.http.port, OPS_PORT);
      assert.equal(config.ops.http.host, '0.0.0.0', 'reachable from outside the container (probes)');
      assert.equal(config.broker.port, 1883);
      assert.equal(paths.dataDir, '/data');
      assert.equal(paths.queue, '/data/queue');
      assert.equal(config.cloud.url, env.EDGEWAY_CLOUD_URL);
      assert.equal(config.broker.users[0]?.password, 'secret');
      assert.equal(result.site.catalog.models.size, 3, 'finds the image models in /app/adapters (two Modbus, one MQTT)');
    } finally {
      await tmp.remove();
    }
  });

  test('refuses to start without the cloud URL and the broker password', async () => {
    const tmp = await tempDir();
    try {
      const result = await loadSite(await asInImage(tmp.dir), {});
      assert.equal(result.ok, false);
      const text = result.ok ? '' : result.problems.map((p) => formatProblem(p)).join('\n');
      assert.match(text, /EDGEWAY_CLOUD_URL is not set/);
      assert.match(text, /EDGEWAY_BROKER_PASSWORD is not set/);
    } finally {
      await tmp.remove();
    }
  });
});
