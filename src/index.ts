/**
 * Edgeway's public entry for consumers (on-site apps, cloud services, tests): the typed map of every
 * topic and payload the gateway publishes or accepts, the payload decoders and the error codes.
 *
 *   import { localTopics, commandRequestSchema, decodeBatch } from 'edgeway';
 */
export {
  localTopics,
  isClientWritableGatewayTopic,
  latestValueSchema,
  commandRequestSchema,
  commandResponseSchema,
  gatewayStatusSchema,
  healthSchema,
  COMMAND_ID_RE,
  TOPIC_MAP,
  type LocalTopics,
  type LatestValue,
  type CommandRequest,
  type CommandResponse,
  type TopicEntry,
} from './broker/topic-map.js';
export { cloudTopics, DEFAULT_TOPIC_PREFIX, type CloudTopics } from './northbound/topics.js';
export { cloudCommandSchema, cloudCommandResponseSchema, type CloudCommand, type CloudCommandResponse } from './commands/schema.js';
export {
  batchPayloadSchema,
  payloadSampleSchema,
  decodeBatch,
  encodeBatch,
  payloadEncoding,
  PAYLOAD_VERSION,
  CONTENT_TYPES,
  type BatchPayload,
  type PayloadSample,
  type Compression,
} from './northbound/payload.js';
export type { GatewayStatus as CloudStatusMessage, OnlineStatus, OfflineStatus } from './northbound/status.js';
export type { HealthMessage } from './northbound/health.js';
export {
  desiredConfigSchema,
  reportedConfigSchema,
  remoteProblemSchema,
  localConfigStatusSchema,
  type DesiredConfig,
  type ReportedConfig,
  type RemoteProblem,
  type LocalConfigReport,
} from './config/remote-payload.js';
export { ERROR_CODES, GatewayError, isGatewayError, type ErrorCode } from './errors.js';
export type { Sample, Value, Quality } from './model/sample.js';
