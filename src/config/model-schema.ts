/**
 * Device model files: adapters/<vendor>/<model>.yaml. One register map, instantiated by many devices.
 * This zod schema is the single source of the model's types, defaults and JSON Schema.
 */
import { z } from 'zod';
import { BYTE_ORDERS, modbusAddressSchema, NUMBERINGS } from '../southbound/modbus/address.js';
import { duration } from './units.js';

export const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
const name = (what: string) =>
  z.string().regex(NAME_RE, { error: `${what} must start with a letter and use only letters, digits, _ and -` });

export const MODEL_ID_RE = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9._-]*$/;

export const simulateSchema = z
  .strictObject({
    pattern: z
      .enum(['sine', 'ramp', 'walk', 'toggle', 'counter', 'cycle', 'constant'])
      .describe('sine/ramp: between min and max over periodS; walk: random walk in [min,max]; toggle: bool flips every periodS; counter: +step per second; cycle: steps through values every periodS; constant: value'),
    min: z.number().optional(),
    max: z.number().optional(),
    periodS: z.number().positive().optional(),
    step: z.number().optional(),
    values: z.array(z.union([z.number(), z.boolean(), z.string()])).min(1).optional(),
    value: z.union([z.number(), z.boolean(), z.string()]).optional(),
    noise: z.number().nonnegative().optional().describe('random noise amplitude added to sine/ramp, engineering units'),
  })
  .describe('How `edgeway simulate` moves this point (engineering units, after scale/offset). Ignored by the gateway.');
export type SimulateSpec = z.infer<typeof simulateSchema>;

const deadbandSchema = z
  .strictObject({
    absolute: z.number().nonnegative().optional().describe('report when the value moved more than this (engineering units)'),
    percent: z.number().nonnegative().optional().describe('report when the value moved more than this percentage of the last reported value'),
  })
  .optional()
  .describe('report by exception: send a value only when it changed by more than the deadband (an empty {} = any change); unset = every poll');
const heartbeatSchema = duration('with a deadband: send the value at least this often even when unchanged').optional();
const scaleSchema = z.number().refine((v) => v !== 0, 'scale must not be 0').default(1).describe('engineering value = raw * scale + offset');

export const pointSchema = z.strictObject({
  name: name('point name').describe('unique within the model; used in topics and payloads'),
  description: z.string().optional(),
  group: name('group name').optional().describe('poll group (a key of `groups`); defaults to defaults.group'),
  address: modbusAddressSchema,
  access: z.enum(['r', 'rw']).default('r').describe('rw marks the point writable by the model; the site config must also allow it'),
  scale: scaleSchema,
  offset: z.number().default(0),
  unit: z.string().optional().describe('engineering unit, e.g. "%", "degC", "m/s", "kWh"'),
  range: z
    .strictObject({ min: z.number().optional(), max: z.number().optional() })
    .optional()
    .describe('allowed engineering values for writes'),
  enum: z
    .record(z.string().regex(/^-?\d+$/, { error: 'enum keys are the raw integer codes, e.g. 0, 1, 9' }), z.string().min(1))
    .optional()
    .describe('state codes: raw integer -> label; the label is reported (an unlisted code as its number in a string) and accepted by writes'),
  deadband: deadbandSchema,
  heartbeat: heartbeatSchema,
  simulate: simulateSchema.optional(),
});
export type PointDef = z.infer<typeof pointSchema>;

export const groupSchema = z.strictObject({
  interval: duration('poll interval of the group').refine((ms) => ms >= 10, 'interval must be at least 10ms'),
});

export const modbusModelSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: z
      .string()
      .regex(MODEL_ID_RE, { error: 'model id must be "<vendor>/<model>" in lower case, e.g. acme-robotics/agv-300' })
      .describe('"<vendor>/<model>"; must match the file path adapters/<vendor>/<model>.yaml'),
    protocol: z.literal('modbus').describe('southbound protocol of this model'),
    description: z.string().optional(),
    addressing: z
      .strictObject({
        numbering: z
          .enum(NUMBERINGS)
          .default('protocol')
          .describe('how registers are numbered in this file: protocol (0-based, on the wire; default), one-based, or modicon (40001 = holding 0)'),
        allowHighAddresses: z
          .boolean()
          .default(false)
          .describe('true only if the device really uses registers in 30001-49999 as 0-based protocol addresses'),
      })
      .default({ numbering: 'protocol', allowHighAddresses: false }),
    defaults: z
      .strictObject({
        byteOrder: z.enum(BYTE_ORDERS).default('ABCD').describe('byte/word order of multi-register values'),
        group: name('group name').optional().describe('poll group of points that name none'),
        heartbeat: duration('heartbeat of points with a deadband that set none').optional(),
      })
      .default({ byteOrder: 'ABCD' }),
    groups: z.record(name('group name'), groupSchema).describe('poll groups with their intervals'),
    maxGap: z.int().min(0).max(100).default(0).describe('unused registers the planner may read to merge two requests'),
    writeMultiple: z
      .boolean()
      .default(false)
      .describe('device workaround: write one coil with FC15 and one register with FC16 (for devices without FC5/FC6)'),
    points: z.array(pointSchema).min(1),
  })
  .describe('Edgeway device model of a Modbus device (register map)');

/** `{device}` is the only placeholder: the device's connection.topicId fills it. */
export const TOPIC_TEMPLATE_RE = /^(?!\$)(?!.*\{(?!device\})[^}]*\})[^+#]+$/;
const topicTemplate = z
  .string()
  .regex(TOPIC_TEMPLATE_RE, { error: 'topic template: no +, # or leading $; the only placeholder is {device}' })
  .refine((t) => !t.includes('\u0000'), { error: 'topic template must not contain NUL' })
  .describe('topic the device publishes on; {device} is replaced by the device\'s connection.topicId');

/** `temperature`, `env.hum`, `readings[0].v`: keys joined by dots, array indexes in brackets. */
export const FIELD_PATH_RE = /^[A-Za-z_$][\w$-]*(\[\d+\])*(\.[A-Za-z_$][\w$-]*(\[\d+\])*)*$/;

export const mqttPointSchema = z.strictObject({
  name: name('point name').describe('unique within the model; used in topics and payloads'),
  description: z.string().optional(),
  topic: topicTemplate.optional().describe('topic of this point; defaults to defaults.topic'),
  field: z.string().regex(FIELD_PATH_RE, { error: 'field must be a JSON path like temperature, env.hum or readings[0].v' }).describe('where the value is in the JSON payload'),
  type: z.enum(['number', 'boolean', 'string']).default('number').describe('JSON type the field must have'),
  scale: scaleSchema,
  offset: z.number().default(0),
  unit: z.string().optional().describe('engineering unit, e.g. "%", "degC"'),
  deadband: deadbandSchema,
  heartbeat: heartbeatSchema,
});
export type MqttPointDef = z.infer<typeof mqttPointSchema>;

export const mqttModelSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: z.string().regex(MODEL_ID_RE, { error: 'model id must be "<vendor>/<model>" in lower case, e.g. acme-sensors/th-100' }),
    protocol: z.literal('mqtt').describe('MQTT-native device: publishes JSON on the embedded broker'),
    description: z.string().optional(),
    defaults: z
      .strictObject({
        topic: topicTemplate.optional().describe('topic of points that name none'),
        heartbeat: duration('heartbeat of points with a deadband that set none').optional(),
      })
      .default({}),
    points: z.array(mqttPointSchema).min(1),
  })
  .describe('Edgeway device model of an MQTT-native device (topics and JSON fields)');

export const modelSchema = z.discriminatedUnion('protocol', [modbusModelSchema, mqttModelSchema]).describe('Edgeway device model');

export type ModelInput = z.input<typeof modelSchema>;
export type ModelDef = z.output<typeof modelSchema>;
export type ModbusModelDef = z.output<typeof modbusModelSchema>;
export type MqttModelDef = z.output<typeof mqttModelSchema>;
