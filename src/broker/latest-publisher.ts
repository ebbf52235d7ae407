/**
 * The per-sample half of the latest values on the embedded broker (see latest-values.ts): one
 * retained QoS 0 publish per accepted sample. It runs for every sample of every poll, so the topic
 * and unit of each point are worked out once and kept (one map entry per point), and a publish
 * costs no promise.
 */
import type { Sample } from '../model/sample.js';
import { latestValuePayload, latestValueTopic } from './latest-values.js';

export interface LatestPublisherOptions {
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly unitOf: (device: string, point: string) => string | undefined;
  /** Publishes one retained message; reports a failure through `onError`, never throws. */
  readonly publish: (topic: string, payload: string, onError: (err: unknown) => void) => void;
  readonly onError: (err: unknown) => void;
}

interface PointTarget {
  readonly topic: string;
  readonly unit: string | undefined;
}

export class LatestValuePublisher {
  private readonly targets = new Map<string, Map<string, PointTarget>>();

  constructor(private readonly opts: LatestPublisherOptions) {}

  publish(samples: readonly Sample[]): void {
    const { publish, onError } = this.opts;
    for (const s of samples) {
      const target = this.target(s.device, s.point);
      publish(target.topic, latestValuePayload(s, target.unit), onError);
    }
  }

  private target(device: string, point: string): PointTarget {
    let points = this.targets.get(device);
    if (!points) {
      points = new Map();
      this.targets.set(device, points);
    }
    let target = points.get(point);
    if (!target) {
      const { topicPrefix, gatewayId, unitOf } = this.opts;
      target = { topic: latestValueTopic(topicPrefix, gatewayId, device, point), unit: unitOf(device, point) };
      points.set(point, target);
    }
    return target;
  }
}
