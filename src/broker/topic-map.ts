/**
 * The typed map of every topic the gateway publishes or accepts, local (embedded broker) and cloud,
 * with a zod schema per payload. Consumers import these (`import { localTopics } from 'edgeway'`)
 * rather than spelling topics by hand; README "What goes over MQTT" is the same table in prose.
 *
 * Local, under <prefix>/<gateway> (broker.topicPrefix):
 *   devices/<device>/<point>       latest value, retained, QoS 0            latestValueSchema
 *   commands/request               a client asks: write a point, read now   commandRequestSchema
 *   commands/response/<id>         the answer (or the request's responseTopic below that root)
 * Cloud, under <prefix>/<gateway> (cloud.topicPrefix): data, status, health (northbound/topics.ts),
 *   commands/request + commands/response/<id> (commands from the cloud, src/commands),
 *   config/desired, config/reported: remote config; config/local: the last on-site edit (config/remote-payload.ts).
 */
import { z } from 'zod';
import { batchPayloadSchema } from '../northbound/payload.js';
import { cloudCommandResponseSchema, cloudCommandSchema } from '../commands/schema.js';
import { desiredConfigSchema, localConfigStatusSchema, reportedConfigSchema } from '../config/remote-payload.js';


export interface LocalTopics {
  /** `<prefix>/<gateway>`: only the gateway publishes below it, except commandRequest. */
  readonly root: string;
  /** Subscription filter of every latest value. */
  readonly allValues: string;
  latestValue(device: string, point: string): string;
  readonly commandRequest: string;
  /** Root of the answers; a request's responseTopic must be below it. */
  readonly commandResponseRoot: string;
  commandResponse(id: string): string;
}

export function localTopics(prefix: string, gatewayId: string): LocalTopics {
  const root = `${prefix}/${gatewayId}`;
  return {
    root,
    allValues: `${root}/devices/#`,
    latestValue: (device, point) => `${root}/devices/${device}/${point}`,
    commandRequest: `${root}/commands/request`,
    commandResponseRoot: `${root}/commands/response`,
    commandResponse: (id) => `${root}/commands/response/${id}`,
  };
}

/**
 * The one gateway topic a local client may publish to (when its ACL grants it): the command
 * request topic. The broker's reserved-topic check calls this with the gateway's topic root.
 */
export function isClientWritableGatewayTopic(topic: string, ownRoot: string): boolean {
  return topic === `${ownRoot}/commands/request`;
}

const valueSchema = z.union([z.number(), z.boolean(), z.string(), z.null()]);

/** Retained on devices/<device>/<point>. */
export const latestValueSchema = z.object({
  ts: z.int().min(0).describe('read time, ms since the Unix epoch'),
  value: valueSchema,
  quality: z.enum(['good', 'bad']),
  code: z.string().optional().describe('stable error code when quality is bad'),
  unit: z.string().optional(),
});
export type LatestValue = z.output<typeof latestValueSchema>;

/** A command id is one topic level: letters, digits, _ . : - (at most 128). */
export const COMMAND_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const commandId = z.string().regex(COMMAND_ID_RE, { error: 'id: 1-128 of letters, digits, _ . : -' });
const responseTopic = z
  .string()
  .min(1)
  .max(512)
  .refine((t) => !/[+#]/.test(t) && !t.includes('\u0000'), { error: 'responseTopic must be a topic name (no wildcards)' })
  .optional();

export const commandRequestSchema = z.discriminatedUnion('command', [
  z.strictObject({ id: commandId, command: z.literal('write'), device: z.string().min(1), point: z.string().min(1), value: z.union([z.number(), z.boolean(), z.string()]).describe('engineering value (an enum label for state points)'), responseTopic }),
  z.strictObject({ id: commandId, command: z.literal('read'), device: z.string().min(1), point: z.string().min(1), responseTopic }),
]);
export type CommandRequest = z.output<typeof commandRequestSchema>;

export const commandResponseSchema = z.discriminatedUnion('ok', [
  z.object({ id: z.string(), ok: z.literal(true), result: latestValueSchema.describe('write: the read-back; read: the fresh value') }),
  z.object({ id: z.string().nullable(), ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type CommandResponse = z.output<typeof commandResponseSchema>;

export const gatewayStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('online'), gateway: z.string(), version: z.string(), startedAt: z.string(), ts: z.int(), queueDepth: z.int().optional() }),
  z.object({ state: z.literal('offline'), gateway: z.string(), reason: z.enum(['connection-lost', 'shutdown']), ts: z.int().optional() }),
]);

export const healthSchema = z.object({
  gateway: z.string(),
  ts: z.int(),
  queue: z.object({ depth: z.int(), bytes: z.number(), oldestAgeMs: z.number(), dropped: z.record(z.string(), z.number()) }).nullable(),
  link: z.object({
    deliveryLagMs: z.number().nullable(), inFlight: z.int(), messagesPublished: z.int(), samplesDelivered: z.int(), reconnects: z.int(), batchLimit: z.int(),
  }),
});

export interface TopicEntry {
  readonly broker: 'local' | 'cloud';
  /** publishes: the gateway sends; accepts: the gateway listens. */
  readonly direction: 'publishes' | 'accepts';
  /** Topic below <prefix>/<gateway> unless it starts with '(model)'. */
  readonly topic: string;
  readonly qos: 0 | 1;
  readonly retained: boolean;
  readonly payload: z.ZodType | 'model-defined JSON';
  readonly what: string;
}

/** Every topic, in README order. */
export const TOPIC_MAP: readonly TopicEntry[] = [
  { broker: 'local', direction: 'publishes', topic: 'devices/<device>/<point>', qos: 0, retained: true, payload: latestValueSchema, what: 'latest value of each point' },
  { broker: 'local', direction: 'accepts', topic: 'commands/request', qos: 0, retained: false, payload: commandRequestSchema, what: 'local command: write a point, read it now' },
  { broker: 'local', direction: 'publishes', topic: 'commands/response/<id>', qos: 0, retained: false, payload: commandResponseSchema, what: 'the answer to a command (or its responseTopic)' },
  { broker: 'local', direction: 'accepts', topic: '(model) e.g. sensors/{device}/telemetry', qos: 0, retained: false, payload: 'model-defined JSON', what: 'messages of MQTT-native devices' },
  { broker: 'cloud', direction: 'publishes', topic: 'data', qos: 1, retained: false, payload: batchPayloadSchema, what: 'batches of samples (JSON or zlib)' },
  { broker: 'cloud', direction: 'publishes', topic: 'status', qos: 1, retained: true, payload: gatewayStatusSchema, what: 'online / offline (also the last will)' },
  { broker: 'cloud', direction: 'publishes', topic: 'health', qos: 1, retained: false, payload: healthSchema, what: 'queue and link figures' },
  { broker: 'cloud', direction: 'accepts', topic: 'commands/request', qos: 1, retained: false, payload: cloudCommandSchema, what: 'cloud command: read, write, status, logs, config, restart-device, modbus-read' },
  { broker: 'cloud', direction: 'publishes', topic: 'commands/response/<id>', qos: 1, retained: false, payload: cloudCommandResponseSchema, what: 'the answer (MQTT 5: the response topic, with the correlation data)' },
  // remote config (cloud.remoteConfig.enabled)
  { broker: 'cloud', direction: 'accepts', topic: 'config/desired', qos: 1, retained: true, payload: desiredConfigSchema, what: 'a whole site config (and models) with a version, to apply' },
  { broker: 'cloud', direction: 'publishes', topic: 'config/reported', qos: 1, retained: true, payload: reportedConfigSchema, what: 'what became of the last desired version: applying, applied, rejected, rolled-back' },
  { broker: 'cloud', direction: 'publishes', topic: 'config/local', qos: 1, retained: true, payload: localConfigStatusSchema, what: 'the outcome of the last edit of the config files on site (gateway.watchConfig)' },
];
