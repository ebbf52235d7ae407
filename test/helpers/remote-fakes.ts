/**
 * Test helper: stand-ins for the two sides remote config talks to, for unit tests without a
 * network. FakeGateway records applies and reports the health it is given; FakeLink records
 * publishes, delivers messages to the handler of their topic and lets a test move the topic root
 * and bring the link "online" (as a reconnect does).
 */
import type { LoadedSite } from '../../src/config/load-site.js';
import type { ApplyReport, HealthView, Reconfigurable } from '../../src/config/reconfigure.js';
import type { ControlLink } from '../../src/config/remote-config.js';
import type { ReportedConfig } from '../../src/config/remote-payload.js';
import type { IncomingMessage } from '../../src/northbound/connection.js';

export const applyReport = (over: Partial<ApplyReport> = {}): ApplyReport => ({ added: [], removed: [], restarted: [], unchanged: [], reloaded: [], restartRequired: [], ...over });

/** A Reconfigurable that records applies; healthy unless `healthView` says otherwise. */
export class FakeGateway implements Reconfigurable {
  applied: LoadedSite[] = [];
  healthView: HealthView = { devices: [], cloud: 'online' };
  constructor(public currentSite: LoadedSite) {}
  applySite(next: LoadedSite): Promise<ApplyReport> {
    this.applied.push(next);
    this.currentSite = next;
    return Promise.resolve(applyReport({ unchanged: next.devices.map((d) => d.config.id) }));
  }
  health(): HealthView {
    return this.healthView;
  }
}

export class FakeLink implements ControlLink {
  topicRoot = 'edgeway/e2e';
  readonly handlers = new Map<string, (m: IncomingMessage) => void>();
  readonly published: ReportedConfig[] = [];
  /** Topic of each entry of `published`. */
  readonly topics: string[] = [];
  private readonly online = new Set<() => void>();
  subscribe(filter: string, handler: (m: IncomingMessage) => void): () => void {
    this.handlers.set(filter, handler);
    return () => {
      if (this.handlers.get(filter) === handler) this.handlers.delete(filter);
    };
  }
  publish(topic: string, payload: string): Promise<void> {
    if (topic.endsWith('/config/reported')) {
      this.published.push(JSON.parse(payload) as ReportedConfig);
      this.topics.push(topic);
    }
    return Promise.resolve();
  }
  onOnline(listener: () => void): () => void {
    this.online.add(listener);
    return () => this.online.delete(listener);
  }
  /** A (re)connection: every online listener runs. */
  goOnline(): void {
    for (const l of this.online) l();
  }
  /** Delivers a desired config on `<root>/config/desired` of `root` (default: the current root); false if nobody listens there. */
  deliver(payload: Buffer, root = this.topicRoot): boolean {
    const handler = this.handlers.get(`${root}/config/desired`);
    handler?.({ topic: `${root}/config/desired`, payload, retain: true });
    return handler !== undefined;
  }
}
