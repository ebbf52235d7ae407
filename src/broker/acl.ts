/**
 * Who may publish and subscribe where. With no `acl` rules and no `tenants`, any connected client
 * may use any topic except the gateway's own (open mode, as a single-tenant site expects). As soon
 * as either is configured, a client may use only what a rule or its tenant grants (restricted mode):
 * a subscription is allowed only when a granted pattern covers every topic the filter can match, so
 * `#`, `+/…` or `$SYS/#` cannot reach another tenant; delivery is checked again per message.
 * The gateway's own topics and `$` topics are never writable by clients.
 */
import type { BrokerConfig } from '../config/site-schema.js';
import { isReservedTopic } from './auth.js';
import { expandPattern, filterCovers, topicMatches, validFilter } from './topics.js';

export interface ClientAccess {
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
  /** Second line: may this client receive a message on `topic`. */
  canReceive(topic: string): boolean;
}

interface Grant {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

const MEMO_LIMIT = 1024;

class RestrictedAccess implements ClientAccess {
  private readonly receiveMemo = new Map<string, boolean>();

  constructor(
    private readonly publish: readonly string[],
    private readonly subscribe: readonly string[],
    private readonly ownTopicRoot: string,
  ) {}

  canPublish(topic: string): boolean {
    return !isReservedTopic(topic, this.ownTopicRoot) && this.publish.some((p) => topicMatches(p, topic));
  }

  canSubscribe(filter: string): boolean {
    return validFilter(filter) && this.subscribe.some((p) => filterCovers(p, filter));
  }

  canReceive(topic: string): boolean {
    const memo = this.receiveMemo.get(topic);
    if (memo !== undefined) return memo;
    const ok = this.subscribe.some((p) => topicMatches(p, topic));
    if (this.receiveMemo.size >= MEMO_LIMIT) this.receiveMemo.clear();
    this.receiveMemo.set(topic, ok);
    return ok;
  }
}

class OpenAccess implements ClientAccess {
  constructor(private readonly ownTopicRoot: string) {}
  canPublish(topic: string): boolean {
    return !isReservedTopic(topic, this.ownTopicRoot);
  }
  canSubscribe(filter: string): boolean {
    return validFilter(filter);
  }
  canReceive(): boolean {
    return true;
  }
}

export class AccessPolicy {
  private readonly grants: Grant[];
  readonly restricted: boolean;

  constructor(config: Pick<BrokerConfig, 'acl' | 'tenants'>, private readonly ownTopicRoot: string) {
    this.restricted = config.acl.length > 0 || config.tenants.length > 0;
    this.grants = [
      ...config.acl,
      ...config.tenants.map((t) => {
        const ns = `${t.prefix.replace(/\/+$/, '')}/#`;
        return { users: t.users, groups: t.groups, publish: [ns], subscribe: [ns] };
      }),
    ];
  }

  forClient(username: string | undefined, groups: readonly string[], clientId: string): ClientAccess {
    if (!this.restricted) return new OpenAccess(this.ownTopicRoot);
    const publish: string[] = [];
    const subscribe: string[] = [];
    for (const g of this.grants) {
      const everyone = g.users.length === 0 && g.groups.length === 0;
      const member = (username !== undefined && g.users.includes(username)) || g.groups.some((x) => groups.includes(x));
      if (!everyone && !member) continue;
      for (const p of g.publish) push(publish, expandPattern(p, username, clientId));
      for (const p of g.subscribe) push(subscribe, expandPattern(p, username, clientId));
    }
    return new RestrictedAccess(publish, subscribe, this.ownTopicRoot);
  }
}

function push(into: string[], pattern: string | undefined): void {
  if (pattern !== undefined && validFilter(pattern)) into.push(pattern);
}
