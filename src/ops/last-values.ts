/** The latest sample of every device point, for the status page: one map update per sample. */
import type { Sample } from '../model/sample.js';

export class LastValues {
  private readonly byDevice = new Map<string, Map<string, Sample>>();

  record(samples: readonly Sample[]): void {
    for (const s of samples) {
      let points = this.byDevice.get(s.device);
      if (!points) {
        points = new Map();
        this.byDevice.set(s.device, points);
      }
      points.set(s.point, s);
    }
  }

  all(): ReadonlyMap<string, ReadonlyMap<string, Sample>> {
    return this.byDevice;
  }
}
