/**
 * deploy/kubernetes/: every manifest parses and passes the Kubernetes OpenAPI schema (kubernetes-models),
 * and agrees with the Dockerfile (volumes, ports, image tag), the CLI (container args), the ops HTTP
 * contract (probes on 9464) and the config loader (the ConfigMap's site.yaml and models validate with
 * the environment the DaemonSet gives them, and every secret it needs comes from the Secret).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IHTTPGetAction } from 'kubernetes-models/v1/HTTPGetAction';
import { parseAllDocuments } from 'yaml';
import { loadSite } from '../../src/config/load-site.js';
import { formatProblem } from '../../src/config/problems.js';
import { isCliCommand } from '../helpers/cli-command.js';
import { all, last, readDockerfile, type Stage } from '../helpers/dockerfile.js';
import { must, validateManifest, type IConfigMap, type IDaemonSet, type ISecret, type IService } from '../helpers/k8s.js';
import { REPO, tempDir } from '../helpers/site.js';

const DIR = path.join(REPO, 'deploy/kubernetes');
const OPS_PORT = 9464;
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const final = readDockerfile(path.join(REPO, 'Dockerfile')).stages.at(-1) as Stage;

type Doc = Record<string, unknown>;

function readDocs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    return d.toJS() as Doc;
  });
}

const kustomization = readDocs('kustomization.yaml')[0] as { apiVersion: string; kind: string; namespace: string; resources: string[]; images: unknown };
const manifests = kustomization.resources.flatMap((file) => readDocs(file).map((doc) => ({ file, doc })));
function only<T>(kind: string): T {
  const found = manifests.filter((m) => m.doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]?.doc as T;
}
const daemonSet = only<IDaemonSet>('DaemonSet');
const configMap = only<IConfigMap>('ConfigMap');
const secret = only<ISecret>('Secret');
const service = only<IService>('Service');
const template = must(daemonSet.spec?.template, 'pod template');
const pod = must(template.spec, 'pod spec');
const gateway = must(pod.containers.find((c) => c.name === 'edgeway'), 'container edgeway');
const gatewayEnv = must(gateway.env, 'env');
const secretData = must(secret.stringData, 'Secret stringData');

function portNumber(port: string | number): number {
  if (typeof port === 'number') return port;
  return must(gateway.ports?.find((p) => p.name === port), `named port ${port}`).containerPort;
}

function httpGet(c: IContainer, probe: 'livenessProbe' | 'readinessProbe' | 'startupProbe'): IHTTPGetAction {
  return must(c[probe]?.httpGet, `${probe}.httpGet`);
}

/** Kubernetes quantity (128Mi, 1Gi, 100M) in bytes. */
function bytes(q: string | number | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q));
  assert.ok(m, `quantity ${String(q)}`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

describe('deploy/kubernetes', () => {
  test('kustomization lists every manifest in the folder', () => {
    const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
    assert.deepEqual([...kustomization.resources].sort(), files);
    assert.equal(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1');
    assert.equal(kustomization.kind, 'Kustomization');
  });

  test('every document is a current Kubernetes kind and passes its OpenAPI schema', () => {
    assert.deepEqual(manifests.map((m) => m.doc.kind).sort(), ['ConfigMap', 'DaemonSet', 'Namespace', 'Secret', 'Service']);
    for (const { file, doc } of manifests) {
      assert.doesNotThrow(() => validateManifest(doc), `${file}: ${String(doc.kind)}`);
    }
  });

  test('the schema check rejects a broken manifest (the validator is really used)', () => {
    const broken = structuredClone(daemonSet) as unknown as { spec: { template: { spec: { containers: { ports: Doc[] }[] } } } };
    const port = must(broken.spec.template.spec.containers[0]?.ports[0], 'first port');
    port.containerPort = 'mqtt';
    assert.throws(() => validateManifest(broken), /containerPort/);
    assert.throws(() => validateManifest({ ...daemonSet, apiVersion: 'extensions/v1beta1' }), /not a current Kubernetes kind/);
  });

  test('images are the package.json version, in the manifests and in the kustomization', () => {
    const repo = 'registry.example/edgeway';
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) assert.equal(c.image, `${repo}:${pkg.version}`, c.name);
    assert.deepEqual(kustomization.images, [{ name: repo, newTag: pkg.version }]);
    assert.equal(gateway.imagePullPolicy, 'IfNotPresent', 'offline edge nodes restart from the local image');
  });

  test('the container keeps the image entrypoint (tini) and runs a real CLI command, as the image CMD does', async () => {
    assert.equal(gateway.command, undefined, 'no command override: tini stays PID 1');
    const args = must(gateway.args, 'args');
    assert.equal(await isCliCommand(args[0] ?? ''), true, `edgeway ${String(args[0])} exists`);
    assert.deepEqual(args, last(final, 'CMD')?.exec);
  });

  test('probes hit /healthz and /readyz on the ops port 9464; ports match the image EXPOSE', () => {
    assert.equal(httpGet(gateway, 'livenessProbe').path, '/healthz');
    assert.equal(httpGet(gateway, 'readinessProbe').path, '/readyz');
    assert.equal(httpGet(gateway, 'startupProbe').path, '/healthz');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) assert.equal(portNumber(httpGet(gateway, probe).port), OPS_PORT, probe);
    const exposed = all(final, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map(Number).sort((a, b) => a - b);
    assert.deepEqual(must(gateway.ports, 'ports').map((p) => p.containerPort).sort((a, b) => a - b), exposed);
    assert.equal(template.metadata?.annotations?.['prometheus.io/port'], String(OPS_PORT));
  });

  test('volume mounts cover the image VOLUMEs: config from the ConfigMap, the queue on a host path', () => {
    const volumes = all(final, 'VOLUME').flatMap((v) => v.exec ?? []);
    assert.ok(volumes.length > 0);
    const mounts = new Map(must(gateway.volumeMounts, 'volumeMounts').map((m) => [m.mountPath, m.name]));
    for (const v of volumes) assert.ok(mounts.has(v), `${v} is mounted`);
    const byName = new Map(must(pod.volumes, 'volumes').map((v) => [v.name, v]));
    assert.equal(byName.get(mounts.get('/app/config') ?? '')?.configMap?.name, configMap.metadata?.name);
    assert.ok(byName.get(mounts.get('/data') ?? '')?.hostPath?.path, '/data is a hostPath');
    const sc = must(pod.securityContext, 'pod securityContext');
    assert.deepEqual(pod.initContainers?.[0]?.command, ['chown', `${String(sc.runAsUser)}:${String(sc.runAsGroup)}`, '/data']);
  });

  test('runs non-root with a read-only root filesystem and no privilege escalation', () => {
    const sc = must(pod.securityContext, 'pod securityContext');
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.runAsUser, 1000, 'uid of the image user');
    assert.equal(last(final, 'USER')?.args, 'node');
    const csc = must(gateway.securityContext, 'container securityContext');
    assert.equal(csc.readOnlyRootFilesystem, true);
    assert.equal(csc.allowPrivilegeEscalation, false);
    assert.deepEqual(csc.capabilities?.drop, ['ALL']);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  test('the namespace Pod Security level admits the pod (a hostPath volume needs "privileged")', () => {
    const ns = only<{ metadata: { name: string; labels?: Record<string, string> } }>('Namespace');
    assert.equal(ns.metadata.name, kustomization.namespace);
    const level = ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'privileged';
    const usesHostPath = (pod.volumes ?? []).some((v) => v.hostPath !== undefined);
    const rootInit = (pod.initContainers ?? []).some((c) => c.securityContext?.runAsUser === 0);
    if (usesHostPath) assert.equal(level, 'privileged', 'baseline and restricted reject hostPath volumes');
    if (rootInit) assert.notEqual(level, 'restricted', 'restricted rejects containers running as root');
  });

  test('schedules onto OpenYurt node pools and KubeEdge edge nodes, tolerating edge taints, off the host network', () => {
    const terms = must(pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, 'node affinity').nodeSelectorTerms;
    const keys = terms.flatMap((t) => (t.matchExpressions ?? []).map((e) => e.key));
    assert.deepEqual(keys.sort(), ['apps.openyurt.io/nodepool', 'node-role.kubernetes.io/edge']);
    assert.ok(pod.tolerations?.some((t) => t.key === 'node-role.kubernetes.io/edge' && t.operator === 'Exists'));
    assert.equal(pod.hostNetwork, false);
    const selector = must(daemonSet.spec?.selector.matchLabels, 'selector');
    assert.deepEqual(selector, { 'app.kubernetes.io/name': 'edgeway' });
    for (const [k, v] of Object.entries(selector)) {
      assert.equal(template.metadata?.labels?.[k], v);
      assert.equal(service.spec?.selector?.[k], v);
    }
    for (const p of must(service.spec?.ports, 'service ports')) assert.equal(portNumber(must(p.targetPort, 'targetPort')), p.port);
  });

  test('requests and limits fit the footprint (RSS about 100 MB)', () => {
    const { requests, limits } = must(gateway.resources, 'resources');
    assert.ok(requests?.cpu !== undefined && limits?.cpu !== undefined);
    assert.ok(bytes(requests.memory) >= 100 * 1024 ** 2, 'request covers the steady RSS');
    assert.ok(bytes(limits.memory) >= 2 * bytes(requests.memory), 'limit leaves room for a backlog drain');
  });
});

describe('deploy/kubernetes ConfigMap and Secret', () => {
  const data = must(configMap.data, 'ConfigMap data');
  const items = must(pod.volumes?.find((v) => v.configMap)?.configMap?.items, 'ConfigMap items');
  const siteText = data['site.yaml'] ?? '';

  /** The environment the DaemonSet gives the container, with Secret values filled in. */
  function containerEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of gatewayEnv) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.fieldRef) env[e.name] = 'edge-node-01';
      else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        assert.equal(ref.name, secret.metadata?.name, `${e.name} reads the Secret`);
        env[e.name] = must(secretData[ref.key], `Secret key ${ref.key}`);
      }
    }
    return env;
  }

  test('mounts every ConfigMap key, and the models are the ones in adapters/', () => {
    assert.deepEqual(items.map((i) => i.key).sort(), Object.keys(data).sort());
    const models = items.filter((i) => i.path.startsWith('models/'));
    assert.equal(models.length, 2);
    for (const { key, path: p } of models) {
      const shipped = readFileSync(path.join(REPO, 'adapters', p.slice('models/'.length)), 'utf8');
      assert.equal(data[key], shipped, `${key} is a copy of adapters/${p.slice('models/'.length)} (run: npm run k8s:models)`);
    }
  });

  test('site.yaml validates with loadSite, with the ops server, broker and queue where the manifests expect them', async () => {
    const tmp = await tempDir();
    try {
      for (const { key, path: p } of items) {
        await mkdir(path.dirname(path.join(tmp.dir, p)), { recursive: true });
        await writeFile(path.join(tmp.dir, p), data[key] ?? '');
      }
      const result = await loadSite(path.join(tmp.dir, 'site.yaml'), containerEnv());
      assert.ok(result.ok, result.ok ? '' : result.problems.map((p) => formatProblem(p)).join('\n'));
      const { config, paths } = result.site;
      assert.equal(config.gateway.id, 'edge-node-01', 'the node name is the gateway id');
      assert.equal(paths.dataDir, '/data');
      assert.equal(config.ops.http.enabled, true);
      assert.equal(config.ops.http.port, OPS_PORT);
      assert.equal(config.broker.port, portNumber('mqtt'));
      assert.equal(config.broker.allowAnonymous, false);
      assert.equal(result.site.devices.length, 2);
    } finally {
      await tmp.remove();
    }
  });

  test('every ${VAR} of site.yaml comes from the container env; secrets from the Secret, each key used', () => {
    const used = new Set([...siteText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)].map((m) => m[1] ?? ''));
    const names = new Set(gatewayEnv.map((e) => e.name));
    for (const v of used) assert.ok(names.has(v), `${v} is set in the container env`);
    for (const e of gatewayEnv) assert.ok(used.has(e.name), `${e.name} is used by site.yaml`);
    for (const e of gatewayEnv.filter((x) => /PASSWORD|TOKEN|KEY/.test(x.name))) assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a Secret`);
    const referenced = gatewayEnv.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.key] : []));
    assert.deepEqual(referenced.sort(), Object.keys(secretData).sort());
    assert.doesNotMatch(siteText, /password:\s*(?!\$\{)\S/, 'no literal password in the ConfigMap');
  });
});
