/**
 * Loads a site config and the models it uses, and checks everything across files. The result is
 * either a frozen, fully resolved config or the complete list of problems — never half of each.
 */
import path from 'node:path';
import { loadCatalog, type Catalog } from '../catalog/load.js';
import type { DeviceModel, ModbusModel, MqttModel } from '../catalog/types.js';
import { closest, formatPath, problemsFromZod, type ConfigProblem } from './problems.js';
import { deviceSchema, siteSchema, type ConnectionConfig, type DeviceConfig, type MqttConnectionConfig, type SiteConfig } from './site-schema.js';
import { readYamlFile, type YamlFile } from './yaml-file.js';
import { scheduleProblems } from './schedule-checks.js';

export interface ResolvedDevice<M extends DeviceModel = DeviceModel, C extends DeviceConfig = DeviceConfig> {
  readonly config: C;
  readonly model: M;
  /** Poll groups after site overrides: name -> interval ms (none for MQTT devices). */
  readonly intervals: Readonly<Record<string, number>>;
}

/** A polled Modbus device: the model and the connection agree on the protocol (checked on load). */
export type ModbusDevice = ResolvedDevice<ModbusModel, DeviceConfig & { readonly connection: ConnectionConfig }>;
/** An MQTT-native device that pushes to the embedded broker. */
export type MqttDevice = ResolvedDevice<MqttModel, DeviceConfig & { readonly connection: MqttConnectionConfig }>;

export function isModbusDevice(d: ResolvedDevice): d is ModbusDevice {
  return d.model.protocol === 'modbus' && d.config.connection.transport !== 'mqtt';
}

/** For fixtures that build a device by hand: throws unless it is a Modbus device. */
export function asModbusDevice(d: ResolvedDevice): ModbusDevice {
  if (!isModbusDevice(d)) throw new Error(`${d.config.id}: not a Modbus device (model ${d.model.protocol}, transport ${d.config.connection.transport})`);
  return d;
}

export function isMqttDevice(d: ResolvedDevice): d is MqttDevice {
  return d.model.protocol === 'mqtt' && d.config.connection.transport === 'mqtt';
}

export interface LoadedSite {
  readonly file: string;
  readonly config: SiteConfig;
  readonly devices: readonly ResolvedDevice[];
  readonly catalog: Catalog;
  /**
   * Absolute paths derived from the config. `base` is the directory relative paths (TLS files,
   * model paths, data dir) resolve against: the config file's own, or the original site file's for
   * a config staged from the cloud.
   */
  readonly paths: { readonly base: string; readonly dataDir: string; readonly queue: string; readonly models: readonly string[] };
}

export interface LoadSiteOptions {
  /** Resolve relative paths against this directory instead of the file's (a staged remote config). */
  readonly baseDir?: string;
  /** Model directories searched after gateway.modelPaths: their models override those (remote models). */
  readonly extraModelPaths?: readonly string[];
}

export type SiteResult = { ok: true; site: LoadedSite } | { ok: false; problems: ConfigProblem[] };

export async function loadSite(file: string, env: NodeJS.ProcessEnv = process.env, options: LoadSiteOptions = {}): Promise<SiteResult> {
  const { yaml, problems } = await readYamlFile(file, env);
  if (!yaml) return { ok: false, problems };
  const parsed = siteSchema.safeParse(yaml.data, { reportInput: true });
  if (!parsed.success) {
    // A missing ${VAR} is already reported; the empty string it left is not a second problem.
    const envPaths = new Set(problems.map((p) => formatPath(p.path)));
    problems.push(...problemsFromZod(file, parsed.error.issues, siteSchema).filter((p) => !envPaths.has(formatPath(p.path))));
  }
  const dir = options.baseDir ?? path.dirname(path.resolve(file));
  const gateway = siteSchema.shape.gateway.safeParse(field(yaml.data, 'gateway'));
  const modelPaths = [...(gateway.success ? gateway.data.modelPaths : ['../adapters']).map((p) => path.resolve(dir, p)), ...(options.extraModelPaths ?? [])];
  const catalog = await loadCatalog(modelPaths);
  // Devices are checked against the models one by one, so a mistake elsewhere in the file
  // does not hide an unknown model or a read-only point: every problem is reported at once.
  const { devices, problems: crossProblems } = resolveDevices(file, parsedDevices(yaml.data), catalog);
  crossProblems.unshift(...duplicateIds(file, field(yaml.data, 'devices')));
  if (parsed.success) crossProblems.push(...scheduleProblems(file, parsed.data.schedules, devices));
  const all = [...withLines(yaml, [...problems, ...crossProblems]), ...catalog.problems];
  if (all.length > 0 || !parsed.success) return { ok: false, problems: all };
  const config = parsed.data;
  const dataDir = path.resolve(dir, config.gateway.dataDir);
  const queue = config.queue.path === undefined ? path.join(dataDir, 'queue') : path.resolve(dir, config.queue.path);
  const site: LoadedSite = { file, config, devices, catalog, paths: { base: dir, dataDir, queue, models: modelPaths } };
  return { ok: true, site: deepFreeze(site) };
}

function field(data: unknown, key: string): unknown {
  return data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[key] : undefined;
}

/** Devices that pass the device schema on their own, with their index in the file. */
function parsedDevices(data: unknown): { index: number; device: DeviceConfig }[] {
  const raw = field(data, 'devices');
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((d: unknown, index) => {
    const r = deviceSchema.safeParse(d);
    return r.success ? [{ index, device: r.data }] : [];
  });
}

function withLines(yaml: YamlFile, problems: ConfigProblem[]): ConfigProblem[] {
  return problems.map((p) => (p.file === yaml.file && p.line === undefined ? { ...p, line: yaml.lineOf(p.path) } : p));
}

function resolveDevices(file: string, parsed: { index: number; device: DeviceConfig }[], catalog: Catalog) {
  const problems: ConfigProblem[] = [];
  const devices: ResolvedDevice[] = [];
  parsed.forEach(({ index: i, device: d }) => {
    const base = ['devices', i];
    const model = catalog.models.get(d.model);
    if (!model && catalog.invalid.has(d.model)) {
      problems.push({ file, path: [...base, 'model'], message: `model "${d.model}" has problems (listed with its file)`, hint: 'fix the model file; the device is checked again then' });
      return;
    }
    if (!model) {
      const guess = closest(d.model, [...catalog.models.keys(), ...catalog.invalid]);
      const known = [...catalog.models.keys()].join(', ') || 'none valid';
      problems.push({
        file, path: [...base, 'model'], message: `unknown model "${d.model}"`,
        hint: guess ? `did you mean "${guess}"?` : `models found in gateway.modelPaths: ${known}`,
      });
      return;
    }
    const before = problems.length;
    const mqttModel = model.protocol === 'mqtt';
    if (mqttModel !== (d.connection.transport === 'mqtt')) {
      problems.push({
        file, path: [...base, 'connection', 'transport'], message: `model ${model.id} is a ${model.protocol} model; transport ${d.connection.transport} does not fit it`,
        hint: mqttModel ? 'use connection: { transport: mqtt, topicId: <id> }' : 'use a Modbus transport: tcp, rtu or rtu-over-tcp',
      });
    }
    problems.push(...checkWritable(file, base, d, model), ...checkGroups(file, base, d, model));
    if (problems.length === before && d.enabled) devices.push({ config: d, model, intervals: intervalsOf(d, model) });
  });
  return { devices, problems };
}

function duplicateIds(file: string, raw: unknown): ConfigProblem[] {
  if (!Array.isArray(raw)) return [];
  const first = new Map<unknown, number>();
  return raw.flatMap((d: unknown, i) => {
    const id = field(d, 'id');
    const seen = first.get(id);
    if (typeof id !== 'string') return [];
    if (seen === undefined) first.set(id, i);
    return seen === undefined ? [] : [{ file, path: ['devices', i, 'id'], message: `duplicate device id "${id}" (also devices[${seen}])`, hint: 'device ids must be unique in a site' }];
  });
}

function checkWritable(file: string, base: (string | number)[], d: DeviceConfig, model: DeviceModel): ConfigProblem[] {
  return d.writable.flatMap((name, j) => {
    const point = model.points.find((p) => p.name === name);
    const path = [...base, 'writable', j];
    if (!point) {
      const guess = closest(name, model.points.map((p) => p.name));
      return [{ file, path, message: `model ${model.id} has no point "${name}"`, ...(guess ? { hint: `did you mean "${guess}"?` } : {}) }];
    }
    if (point.access !== 'rw') return [{ file, path, message: `point "${name}" is read-only in model ${model.id}`, hint: 'only points with access: rw in the model can be made writable' }];
    return [];
  });
}

function checkGroups(file: string, base: (string | number)[], d: DeviceConfig, model: DeviceModel): ConfigProblem[] {
  if (model.protocol === 'mqtt') {
    return d.groups === undefined ? [] : [{ file, path: [...base, 'groups'], message: `model ${model.id} is pushed over MQTT and has no poll groups`, hint: 'remove groups' }];
  }
  return Object.keys(d.groups ?? {}).flatMap((g) =>
    model.groups[g] === undefined
      ? [{ file, path: [...base, 'groups', g], message: `model ${model.id} has no poll group "${g}"`, hint: `one of: ${Object.keys(model.groups).join(', ')}` }]
      : [],
  );
}

function intervalsOf(d: DeviceConfig, model: DeviceModel): Record<string, number> {
  const out: Record<string, number> = {};
  if (model.protocol === 'mqtt') return out;
  for (const [name, g] of Object.entries(model.groups)) out[name] = d.groups?.[name]?.interval ?? g.intervalMs;
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Map)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
