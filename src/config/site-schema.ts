/**
 * Site config files: config/<site>.yaml. Instances of device models, the embedded broker, the durable
 * queue and the cloud link. This zod schema is the single source of types, defaults and JSON Schema.
 * Relative paths are resolved against the directory of the config file.
 */
import { z } from 'zod';
import { duration, size } from './units.js';
import { modbusConnectionSchema, sharedBusProblems } from '../southbound/modbus/connection.js';
import { scheduleSchema } from '../scheduler/schedule-schema.js';
import { commandsConfigSchema } from '../commands/config.js';
import { secret } from './secret.js';

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const id = (what: string) =>
  z.string().max(64).regex(ID_RE, { error: `${what} must use only letters, digits, _, . and - (it is used in MQTT topics)` });

export { tcpConnectionSchema, rtuConnectionSchema, rtuOverTcpConnectionSchema } from '../southbound/modbus/connection.js';
/** Modbus transports: tcp, rtu (serial line), rtu-over-tcp (serial device server); see southbound/modbus/connection.ts. */
export const connectionSchema = modbusConnectionSchema;
export type ConnectionConfig = z.output<typeof connectionSchema>;

/** An MQTT-native device publishing on the embedded broker; topicId fills {device} in the model's topics. */
export const mqttConnectionSchema = z.strictObject({
  transport: z.literal('mqtt'),
  topicId: id('topicId').optional().describe('fills {device} in the model topic templates; defaults to the device id'),
});
export type MqttConnectionConfig = z.output<typeof mqttConnectionSchema>;
const deviceConnectionSchema = z.discriminatedUnion('transport', [...modbusConnectionSchema.options, mqttConnectionSchema]);

export const deviceSchema = z.strictObject({
  id: id('device id'),
  model: z.string().describe('model id "<vendor>/<model>" of a file in the model paths'),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  connection: deviceConnectionSchema,
  writable: z.array(z.string()).default([]).describe('points this site allows writes to (each must be access: rw in the model)'),
  degrade: z
    .strictObject({
      after: z.int().min(1).default(3).describe('consecutive failed poll cycles before the device is polled less often'),
      interval: duration('poll interval while degraded').default(10_000),
    })
    .default({ after: 3, interval: 10_000 })
    .describe('a failing device is polled at this slower pace until it answers again, so it costs the bus little'),
  groups: z
    .record(z.string(), z.strictObject({ interval: duration('poll interval override') }))
    .optional()
    .describe('per-site overrides of the model poll group intervals'),
});
export type DeviceConfig = z.output<typeof deviceSchema>;

export const PASSWORD_HASH_RE = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

export const brokerUserSchema = z
  .strictObject({
    username: z.string().min(1).max(256),
    passwordHash: secret(z
      .string()
      .regex(PASSWORD_HASH_RE, { error: 'passwordHash must be a string printed by `edgeway passwd` (scrypt$N$r$p$salt$hash)' }))
      .optional()
      .describe('scrypt hash printed by `edgeway passwd`'),
    password: secret(z.string().min(1)).optional().describe('plaintext password (accepted with a warning at start; prefer passwordHash)'),
    groups: z.array(z.string().min(1)).default([]).describe('groups named by acl rules and tenants'),
  })
  .refine((u) => u.password === undefined || u.passwordHash === undefined, { error: 'set password or passwordHash, not both', path: ['password'] });
export type BrokerUserConfig = z.output<typeof brokerUserSchema>;

const listenerBase = {
  host: z.string().default('0.0.0.0').describe('bind address'),
};
export const brokerListenerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tcp'), ...listenerBase, port: z.int().min(0).max(65535).default(1883) }),
  z.strictObject({
    type: z.literal('tls'),
    ...listenerBase,
    port: z.int().min(0).max(65535).default(8883),
    cert: z.string().describe('path of the PEM server certificate (chain)'),
    key: z.string().describe('path of the PEM server key'),
    ca: z.string().optional().describe('path of the PEM CA bundle that client certificates must chain to'),
    requestCert: z.boolean().default(false).describe('ask clients for a certificate'),
    requireCert: z.boolean().default(false).describe('refuse a TLS client without a certificate signed by ca'),
    certIdentity: z.boolean().default(false).describe('a verified client certificate\'s CN is the username (no password needed)'),
  }),
  z.strictObject({
    type: z.literal('ws'),
    ...listenerBase,
    port: z.int().min(0).max(65535).default(8080),
    path: z.string().startsWith('/').default('/mqtt').describe('HTTP path of the WebSocket endpoint'),
  }),
]);
export type BrokerListenerConfig = z.output<typeof brokerListenerSchema>;

const topicPatterns = (what: string) =>
  z.array(z.string().min(1)).default([]).describe(`${what} topic filters; %u = username, %c = client id`);
export const brokerAclRuleSchema = z.strictObject({
  users: z.array(z.string()).default([]).describe('usernames this rule applies to'),
  groups: z.array(z.string()).default([]).describe('groups this rule applies to (no users and no groups: everyone)'),
  publish: topicPatterns('publish'),
  subscribe: topicPatterns('subscribe'),
});
export const brokerTenantSchema = z.strictObject({
  name: id('tenant name'),
  prefix: z.string().min(1).regex(/^[^#+]+$/, { error: 'a tenant prefix may not contain + or #' }).describe('topic namespace, e.g. tenants/acme'),
  users: z.array(z.string()).default([]),
  groups: z.array(z.string()).default([]),
});
export const brokerLimitsSchema = z
  .strictObject({
    maxConnections: z.int().min(1).default(10_000).describe('open connections across all listeners'),
    maxPacketSize: size('largest MQTT packet a client may send').default(1024 * 1024),
    publishRate: z.number().min(0).default(0).describe('PUBLISH packets per second per client (token bucket); 0 = no limit'),
    publishBurst: z.int().min(1).optional().describe('token bucket size; defaults to publishRate (at least 1)'),
    keepaliveMin: z.int().min(0).max(65535).default(0).describe('shortest keepalive (s) a client may ask for; above 0, keepalive 0 is refused too'),
    keepaliveMax: z.int().min(0).max(65535).default(65535).describe('longest keepalive (s) a client may ask for'),
    clientIdMaxLength: z.int().min(1).max(65535).default(128),
  })
  .default({ maxConnections: 10_000, maxPacketSize: 1024 * 1024, publishRate: 0, keepaliveMin: 0, keepaliveMax: 65535, clientIdMaxLength: 128 });
export type BrokerLimitsConfig = z.output<typeof brokerLimitsSchema>;

export const brokerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().default('0.0.0.0').describe('bind address of the embedded MQTT broker'),
    port: z.int().min(0).max(65535).default(1883).describe('embedded MQTT broker port (0 picks a free port)'),
    allowAnonymous: z.boolean().default(false).describe('accept clients without credentials (closed by default)'),
    users: z.array(brokerUserSchema).default([]),
    listeners: z
      .array(brokerListenerSchema)
      .min(1)
      .optional()
      .describe('tcp, tls and ws listeners, each with its own host and port; without it: one tcp listener on host:port'),
    acl: z.array(brokerAclRuleSchema).default([]).describe('with acl or tenants set, a client may use only the topics granted to it'),
    tenants: z.array(brokerTenantSchema).default([]).describe('named topic namespaces: members may publish and subscribe under prefix'),
    limits: brokerLimitsSchema,
    persistence: z.boolean().default(true).describe('keep retained messages and persistent sessions in <gateway.dataDir>/broker'),
    topicPrefix: z.string().regex(ID_RE).default('edgeway'),
  })
  .default({
    enabled: true, host: '0.0.0.0', port: 1883, allowAnonymous: false, users: [], acl: [], tenants: [], persistence: true, topicPrefix: 'edgeway',
    limits: { maxConnections: 10_000, maxPacketSize: 1024 * 1024, publishRate: 0, keepaliveMin: 0, keepaliveMax: 65535, clientIdMaxLength: 128 },
  });
export type BrokerConfig = z.output<typeof brokerSchema>;

/** Desired/reported config over the cloud link (src/config/remote-config.ts). Off unless enabled: the cloud then controls the site. */
export const remoteConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('accept a desired site config (and models) on <prefix>/<gateway>/config/desired and report on .../config/reported'),
    healthGrace: duration('after applying a desired config: time for changed devices to complete a poll cycle and the cloud link to be online, else roll back').default(30_000),
    maxBytes: size('largest desired config message accepted').default(1024 * 1024),
  })
  .default({ enabled: false, healthGrace: 30_000, maxBytes: 1024 * 1024 })
  .describe('remote config: the cloud pushes a whole site config; it is validated, applied without restart, health-checked and rolled back on failure');
export type RemoteConfigSettings = z.output<typeof remoteConfigSchema>;

export const cloudSchema = z.strictObject({
  url: secret(z
    .string()
    .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, { error: 'cloud.url must look like mqtt://host:1883 or mqtts://host:8883' })
    .describe('cloud MQTT broker URL'), 'url-credentials'),
  clientId: z.string().min(1).max(128).optional().describe('defaults to edgeway-<gateway id>'),
  username: z.string().optional(),
  password: secret(z.string()).optional().describe('use ${ENV_VAR} to keep it out of the file'),
  passwordFile: z.string().min(1).optional().describe('path of a file holding the password (trailing newline ignored); instead of password'),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4).describe('MQTT protocol level: 4 = 3.1.1, 5 = MQTT 5'),
  compression: z.enum(['none', 'deflate']).default('none').describe('data message encoding: deflate = zlib stream of the JSON batch'),
  backlog: z
    .strictObject({
      liveFirst: z.boolean().default(true).describe('after an outage, send samples read since the reconnect ahead of the backlog'),
      rate: z.number().min(0).default(0).describe('most backlog samples per second while live samples go first; 0 = no limit'),
    })
    .default({ liveFirst: true, rate: 0 }),
  healthInterval: duration('interval of the health message on <prefix>/<gateway>/health; 0 = off').default(30_000),
  tls: z
    .strictObject({
      ca: z.string().optional().describe('path of a PEM CA bundle'),
      cert: z.string().optional().describe('path of the PEM client certificate (mTLS)'),
      key: z.string().optional().describe('path of the PEM client key (mTLS)'),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  topicPrefix: z.string().regex(ID_RE).default('edgeway'),
  batch: z
    .strictObject({
      maxSamples: z.int().min(1).max(10_000).default(500),
      maxDelay: duration('longest wait for a fuller batch').default(200),
    })
    .default({ maxSamples: 500, maxDelay: 200 }),
  inflight: z.int().min(1).max(100).default(8).describe('QoS 1 messages in flight at once'),
  keepalive: duration('MQTT keepalive').default(30_000),
  backoff: z
    .strictObject({ min: duration('first reconnect delay').default(500), max: duration('longest reconnect delay').default(30_000) })
    .default({ min: 500, max: 30_000 }),
  remoteConfig: remoteConfigSchema,
  commands: commandsConfigSchema,
}).refine((c) => c.password === undefined || c.passwordFile === undefined, {
  error: 'set cloud.password or cloud.passwordFile, not both',
  path: ['passwordFile'],
});
export type CloudConfig = z.output<typeof cloudSchema>;

export const queueSchema = z
  .strictObject({
    path: z.string().optional().describe('queue directory; defaults to <gateway.dataDir>/queue'),
    maxBytes: size('disk budget of the queue').default(1024 ** 3),
    maxAge: duration('drop samples older than this; 0 = keep until the byte budget').default(7 * 86_400_000),
    overflow: z.enum(['drop-oldest', 'reject-new']).default('drop-oldest'),
    sync: z.boolean().default(false).describe('fsync every append: survives power loss, costs throughput'),
  })
  .default({ maxBytes: 1024 ** 3, maxAge: 7 * 86_400_000, overflow: 'drop-oldest', sync: false });
export type QueueConfig = z.output<typeof queueSchema>;

export const opsSchema = z
  .strictObject({
    http: z
      .strictObject({
        enabled: z.boolean().default(false).describe('serve /metrics (Prometheus), /healthz, /readyz and the status page'),
        host: z.string().default('0.0.0.0'),
        port: z.int().min(0).max(65535).default(9464).describe('ops HTTP port (0 picks a free port)'),
        statusPage: z.boolean().default(false).describe('serve the status page (GET /) and its JSON (/api/status)'),
        token: secret(z.string().min(16)).optional().describe('token for the status page (?token= or Authorization: Bearer); use ${ENV_VAR}'),
        open: z.boolean().default(false).describe('serve the status page without a token (the local demo only)'),
      })
      .refine((h) => !h.statusPage || h.open || h.token !== undefined, {
        error: 'the status page needs ops.http.token (or ops.http.open: true on a trusted network)',
        path: ['statusPage'],
      })
      .default({ enabled: false, host: '0.0.0.0', port: 9464, statusPage: false, open: false }),
  })
  .default({ http: { enabled: false, host: '0.0.0.0', port: 9464, statusPage: false, open: false } });
export type OpsConfig = z.output<typeof opsSchema>;

export const LOG_MODULES = ['gateway', 'devices', 'cloud', 'broker', 'ops'] as const;
export type LogModule = (typeof LOG_MODULES)[number];
const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export const siteSchema = z
  .strictObject({
    $schema: z.string().optional(),
    gateway: z.strictObject({
      id: id('gateway id'),
      dataDir: z.string().default('../.edgeway/data').describe('directory for the queue and state'),
      modelPaths: z
        .array(z.string())
        .min(1)
        .default(['../adapters'])
        .describe('directories searched for device models (<vendor>/<model>.yaml)'),
      summaryInterval: duration('interval of the one-line status summary in the log; 0 = off').default(0),
      watchConfig: z.boolean().default(true).describe('`edgeway run` watches this file and the model paths: a valid edit is applied without restart, an invalid one is reported and ignored'),
    }),
    log: z
      .strictObject({
        level: logLevel.default('info'),
        modules: z
          .partialRecord(z.enum(LOG_MODULES), logLevel)
          .default({})
          .describe('level per module, overriding log.level: gateway, devices, cloud, broker, ops'),
      })
      .default({ level: 'info', modules: {} }),
    devices: z
      .array(deviceSchema)
      .default([])
      .superRefine((devices, ctx) => {
        const modbus = devices.flatMap((d, index) => (d.connection.transport === 'mqtt' ? [] : [{ index, connection: d.connection }]));
        for (const p of sharedBusProblems(modbus.map((m) => m.connection))) {
          ctx.addIssue({ code: 'custom', message: p.message, path: [modbus[p.index]?.index ?? p.index, 'connection', p.field] });
        }
      }),
    broker: brokerSchema,
    cloud: cloudSchema,
    queue: queueSchema,
    ops: opsSchema,
    schedules: z
      .array(scheduleSchema)
      .default([])
      .refine((list) => new Set(list.map((j) => j.name)).size === list.length, { error: 'schedule names must be unique' })
      .describe('wall-clock jobs (cron): write a value, poll a device now, or send a snapshot of every latest value'),
  })
  .describe('Edgeway site config');

export type SiteInput = z.input<typeof siteSchema>;
export type SiteConfig = z.output<typeof siteSchema>;
