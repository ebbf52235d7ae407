/**
 * The latest sample of every device point, for the status page, snapshots and reads of MQTT
 * devices: one in-place update per sample (see model/latest-sample.ts), no object kept per poll.
 */
import { LatestSample } from '../model/latest-sample.js';
import type { Sample } from '../model/sample.js';

export class LastValues {
  private readonly byDevice = new Map<string, Map<string, LatestSample>>();

  record(samples: readonly Sample[]): void {
    for (const s of samples) {
      let points = this.byDevice.get(s.device);
      if (!points) {
        points = new Map();
        this.byDevice.set(s.device, points);
      }
      const latest = points.get(s.point);
      if (latest) latest.update(s);
      else points.set(s.point, new LatestSample(s));
    }
  }

  /** Live entries, updated in place by later samples: read them at once or copy them (copySample). */
  all(): ReadonlyMap<string, ReadonlyMap<string, Sample>> {
    return this.byDevice;
  }
}
