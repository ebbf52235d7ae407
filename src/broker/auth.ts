/**
 * Embedded broker authentication. Closed by default: without `allowAnonymous`, a client needs a
 * configured user and its password (checked against an scrypt hash), or a verified client
 * certificate on a TLS listener with `certIdentity`. A successful scrypt check is remembered as an
 * HMAC under a per-process key, so a fleet of clients sharing an account does not pay the KDF on
 * every reconnect, while nothing reversible is kept in memory.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BrokerUserConfig } from '../config/site-schema.js';
import { hashPassword, verifyPassword } from './password.js';
import { isClientWritableGatewayTopic } from './topic-map.js';

export interface AuthDecision {
  readonly ok: boolean;
  /** The identity the client acts as (from CONNECT or from its certificate). */
  readonly username?: string;
  /** MQTT 3.1.1 CONNACK return code when refused: 4 bad user name or password, 5 not authorised. */
  readonly returnCode?: 4 | 5;
  /** Why, for the log (never the password). */
  readonly reason?: string;
}

export class Authenticator {
  private readonly users = new Map<string, BrokerUserConfig>();
  private readonly verified = new Map<string, Buffer>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly key = randomBytes(32);
  private dummyHash: Promise<string> | undefined;

  constructor(users: readonly BrokerUserConfig[], private readonly allowAnonymous: boolean) {
    for (const u of users) this.users.set(u.username, u);
  }

  /** Usernames configured with a plaintext password (warned about at start). */
  plaintextUsers(): string[] {
    return [...this.users.values()].filter((u) => u.password !== undefined).map((u) => u.username);
  }

  groupsOf(username: string | undefined): readonly string[] {
    return username === undefined ? [] : (this.users.get(username)?.groups ?? []);
  }

  /** `certName`: CN of a client certificate the TLS listener verified, when it grants identity. */
  async check(username: string | undefined, password: Buffer | undefined, certName?: string): Promise<AuthDecision> {
    if (certName !== undefined) {
      if (username !== undefined && username !== '' && username !== certName) {
        return { ok: false, returnCode: 4, reason: 'username differs from the certificate identity' };
      }
      return { ok: true, username: certName };
    }
    if (username === undefined || username === '') {
      return this.allowAnonymous ? { ok: true } : { ok: false, returnCode: 5, reason: 'anonymous access is off' };
    }
    const user = this.users.get(username);
    if (!user || !password) {
      // Spend the same work as a real check so an unknown name does not answer faster.
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      if (password) await verifyPassword(password, await this.dummyHash);
      return { ok: false, returnCode: 4, reason: user ? 'no password' : 'unknown user' };
    }
    const ok = await this.passwordMatches(user, password);
    return ok ? { ok: true, username } : { ok: false, returnCode: 4, reason: 'wrong password' };
  }

  private async passwordMatches(user: BrokerUserConfig, password: Buffer): Promise<boolean> {
    const mac = createHmac('sha256', this.key).update(password).digest();
    if (user.password !== undefined) {
      return timingSafeEqual(mac, createHmac('sha256', this.key).update(user.password, 'utf8').digest());
    }
    if (user.passwordHash === undefined) return false; // certificate-only user
    const known = this.verified.get(user.username);
    if (known && timingSafeEqual(known, mac)) return true;
    // A fleet reconnecting at once with one account pays one scrypt, not one per client.
    const key = `${user.username}\0${mac.toString('base64')}`;
    let check = this.inFlight.get(key);
    if (!check) {
      check = verifyPassword(password, user.passwordHash).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, check);
    }
    if (!(await check)) return false;
    this.verified.set(user.username, mac);
    return true;
  }
}

/**
 * Topics only the gateway itself publishes to: its own root, and every `$` topic (MQTT 4.7.2),
 * except the local command request topic (topic-map.ts), which clients may publish to.
 */
export function isReservedTopic(topic: string, ownPrefix: string): boolean {
  if (topic.startsWith('$')) return true;
  return (topic === ownPrefix || topic.startsWith(`${ownPrefix}/`)) && !isClientWritableGatewayTopic(topic, ownPrefix);
}
