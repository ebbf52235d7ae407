/**
 * The per-sample half of the latest values on the embedded broker (see latest-values.ts): one
 * retained QoS 0 publish per accepted sample. It runs for every sample of every poll, so each point
 * has one object, made once, holding its topic, unit and latest sample (updated in place, so no
 * sample of a poll is kept until the next one); a publish hands that object
 * over (its JSON payload is built only when someone reads it) and costs no promise.
 */
import { LatestSample } from '../model/latest-sample.js';
import type { Sample } from '../model/sample.js';
import type { LazyPayload } from './volatile-retained.js';
import { latestValuePayload, latestValueTopic } from './latest-values.js';

export interface LatestPublisherOptions {
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly unitOf: (device: string, point: string) => string | undefined;
  /** Publishes one retained message; reports a failure through `onError`, never throws. */
  readonly publish: (topic: string, value: LazyPayload, onError: (err: unknown) => void) => void;
  readonly onError: (err: unknown) => void;
}

/** One point's latest value: replaced in place at every sample, read as JSON on demand. */
class PointTarget implements LazyPayload {
  constructor(readonly topic: string, private readonly unit: string | undefined, readonly sample: LatestSample) {}

  payload(): string {
    return latestValuePayload(this.sample, this.unit);
  }
}

export class LatestValuePublisher {
  private readonly targets = new Map<string, Map<string, PointTarget>>();

  constructor(private readonly opts: LatestPublisherOptions) {}

  publish(samples: readonly Sample[]): void {
    const { publish, onError } = this.opts;
    for (const s of samples) {
      const target = this.target(s);
      target.sample.update(s);
      publish(target.topic, target, onError);
    }
  }

  private target(sample: Sample): PointTarget {
    const { device, point } = sample;
    let points = this.targets.get(device);
    if (!points) {
      points = new Map();
      this.targets.set(device, points);
    }
    let target = points.get(point);
    if (!target) {
      const { topicPrefix, gatewayId, unitOf } = this.opts;
      target = new PointTarget(latestValueTopic(topicPrefix, gatewayId, device, point), unitOf(device, point), new LatestSample(sample));
      points.set(point, target);
    }
    return target;
  }
}
