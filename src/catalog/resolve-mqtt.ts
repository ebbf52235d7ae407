/**
 * Resolves a schema-valid MQTT device model: every point gets its topic template (own or
 * defaults.topic) and a parsed field path; names are unique; deadband/heartbeat as for Modbus.
 */
import type { MqttModelDef } from '../config/model-schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { parseFieldPath } from '../southbound/mqtt-device/field-path.js';
import { heartbeatOf } from './resolve.js';
import type { MqttModel, MqttPoint } from './types.js';

type Problem = Omit<ConfigProblem, 'file'>;

export function resolveMqttModel(def: MqttModelDef, file: string): { model?: MqttModel; problems: ConfigProblem[] } {
  const problems: Problem[] = [];
  const points: MqttPoint[] = [];
  const seen = new Map<string, number>();
  def.points.forEach((p, i) => {
    const base = ['points', i];
    const first = seen.get(p.name);
    if (first !== undefined) problems.push({ path: [...base, 'name'], message: `duplicate point name "${p.name}" (also points[${first}])` });
    seen.set(p.name, i);
    const topic = p.topic ?? def.defaults.topic;
    if (topic === undefined) {
      problems.push({ path: [...base, 'topic'], message: 'point has no topic', hint: 'set topic, or defaults.topic (e.g. sensors/{device}/telemetry)' });
      return;
    }
    if (p.heartbeat !== undefined && p.deadband === undefined) {
      problems.push({ path: [...base, 'heartbeat'], message: 'heartbeat applies only to points with a deadband', hint: 'add deadband: {} (report on any change) or remove heartbeat' });
      return;
    }
    points.push({
      name: p.name, access: 'r', scale: p.scale, offset: p.offset,
      source: { topic, field: p.field, path: parseFieldPath(p.field), type: p.type },
      ...(p.description === undefined ? {} : { description: p.description }),
      ...(p.unit === undefined ? {} : { unit: p.unit }),
      ...(p.deadband === undefined ? {} : { deadband: { ...p.deadband, ...heartbeatOf(p.heartbeat ?? def.defaults.heartbeat) } }),
    });
  });
  if (problems.length > 0) return { problems: problems.map((p) => ({ ...p, file })) };
  return { model: { id: def.id, protocol: 'mqtt', points, file, ...(def.description === undefined ? {} : { description: def.description }) }, problems: [] };
}
