/**
 * Embedded broker access rules. Closed by default: without `allowAnonymous`, a client needs a
 * configured username and password. Local clients may not publish into the gateway's own value
 * topics (so an on-site app cannot forge device data) nor into `$SYS/`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { BrokerConfig } from '../config/site-schema.js';

export interface AuthDecision {
  readonly ok: boolean;
  /** MQTT 3.1.1 CONNACK return code when refused: 4 bad user name or password, 5 not authorised. */
  readonly returnCode?: 4 | 5;
}

export function checkCredentials(config: BrokerConfig, username: string | undefined, password: Buffer | undefined): AuthDecision {
  if (username === undefined || username === '') return config.allowAnonymous ? { ok: true } : { ok: false, returnCode: 5 };
  const user = config.users.find((u) => u.username === username);
  if (!user || !password) return { ok: false, returnCode: 4 };
  const expected = Buffer.from(user.password, 'utf8');
  const ok = expected.length === password.length && timingSafeEqual(expected, password);
  return ok ? { ok: true } : { ok: false, returnCode: 4 };
}

/** Topics only the gateway itself publishes to. */
export function isReservedTopic(topic: string, ownPrefix: string): boolean {
  return topic.startsWith('$SYS/') || topic === ownPrefix || topic.startsWith(`${ownPrefix}/`);
}
