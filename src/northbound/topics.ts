/**
 * The cloud topic map: every topic the cloud link uses, built from one prefix and the gateway id.
 * Consumers (cloud apps, tests, docs) import this rather than spelling topics by hand.
 *
 *   <prefix>/<gatewayId>/data     batches of samples, QoS 1 (payload.ts)
 *   <prefix>/<gatewayId>/status   retained online/offline status; also the last will (status.ts)
 *   <prefix>/<gatewayId>/health   periodic queue and link figures, QoS 1, not retained (health.ts)
 */
import { ERROR_CODES, GatewayError } from '../errors.js';

export const DEFAULT_TOPIC_PREFIX = 'edgeway';

export interface CloudTopics {
  readonly data: string;
  readonly status: string;
  readonly health: string;
}

/**
 * MQTT 3.1.1 §4.7.1: '+' and '#' are wildcards and may not appear in a topic name we publish to;
 * §4.7.3: topics are UTF-8 without U+0000. '/' separates levels, so an id may not contain it.
 */
const FORBIDDEN_IN_ID = ['/', '+', '#', '\u0000'];
const FORBIDDEN_IN_PREFIX = ['+', '#', '\u0000'];

function containsAny(text: string, chars: readonly string[]): boolean {
  return chars.some((c) => text.includes(c));
}

/** Throws EW_CONFIG_INVALID unless `id` can be one topic level. */
export function assertTopicLevel(what: string, id: string): void {
  if (id.length === 0) throw invalid(`${what} must not be empty`);
  if (containsAny(id, FORBIDDEN_IN_ID)) {
    throw invalid(`${what} "${id}" must not contain '/', '+', '#' or NUL (it is one MQTT topic level)`);
  }
}

/**
 * Throws EW_CONFIG_INVALID unless `prefix` is a usable topic prefix: one or more non-empty levels,
 * no wildcards, not starting with '$' (MQTT 3.1.1 §4.7.2 reserves those topics for the broker).
 */
export function assertTopicPrefix(prefix: string): void {
  if (prefix.startsWith('$')) throw invalid(`topic prefix "${prefix}" must not start with '$' (reserved by brokers)`);
  if (containsAny(prefix, FORBIDDEN_IN_PREFIX)) throw invalid(`topic prefix "${prefix}" must not contain '+', '#' or NUL`);
  if (prefix.split('/').some((level) => level.length === 0)) {
    throw invalid(`topic prefix "${prefix}" must not be empty nor have empty levels (leading, trailing or double '/')`);
  }
}

/** The topics of one gateway; validates both parts. */
export function cloudTopics(gatewayId: string, prefix: string = DEFAULT_TOPIC_PREFIX): CloudTopics {
  assertTopicPrefix(prefix);
  assertTopicLevel('gateway id', gatewayId);
  const base = `${prefix}/${gatewayId}`;
  return { data: `${base}/data`, status: `${base}/status`, health: `${base}/health` };
}

function invalid(message: string): GatewayError {
  return new GatewayError(ERROR_CODES.CONFIG_INVALID, message);
}
