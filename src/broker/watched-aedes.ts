/**
 * Aedes that knows whether any live subscription (a client's or an in-process one) could match a
 * topic under one prefix. The gateway republishes every point's latest value there each poll; with
 * nobody subscribed, aedes' publish pipeline (packet, retained store, topic match) does nothing but
 * store the value, so the site broker then stores it directly (see SiteBroker.publishRetained).
 *
 * Every subscription of aedes goes through `subscribe`/`unsubscribe` (clients' SUBSCRIBE and
 * UNSUBSCRIBE, their disconnect, in-process subscriptions). The count errs high: a subscription is
 * counted before it is added and uncounted only after it is removed.
 */
import { Aedes, type AedesOptions } from 'aedes';
import { mayReach } from './volatile-retained.js';

type Deliver = Parameters<Aedes['subscribe']>[1];

export class WatchedAedes extends Aedes {
  private reaching = 0;

  constructor(options: AedesOptions, private readonly watchedPrefix: string) {
    super(options);
  }

  /** True when some subscription could match a topic under the watched prefix. */
  get watchedSubscribed(): boolean {
    return this.reaching > 0;
  }

  override subscribe(topic: string, deliver: Deliver, done: () => void): void {
    if (mayReach(topic, this.watchedPrefix)) this.reaching++;
    super.subscribe(topic, deliver, done);
  }

  override unsubscribe(topic: string, deliver: Deliver, done?: () => void): void {
    const reaches = mayReach(topic, this.watchedPrefix);
    super.unsubscribe(topic, deliver, () => {
      if (reaches) this.reaching--;
      done?.();
    });
  }
}
