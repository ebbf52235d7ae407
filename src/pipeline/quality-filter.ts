/**
 * Report bad quality by exception: a failing point yields a bad sample when it starts failing or its
 * error code changes, not on every cycle of a long outage (which would flood the queue with nulls).
 * Good samples always pass; deadband filtering of good values is a separate stage.
 */
import type { Sample } from '../model/sample.js';
import { PointMap } from './point-map.js';

export class QualityFilter {
  private readonly lastBad = new PointMap<string>();
  /** Points with a remembered bad code: while none, a good sample costs no lookup. */
  private failing = 0;

  /** True when the sample should be forwarded. */
  accept(sample: Sample): boolean {
    const { device, point } = sample;
    if (sample.quality === 'good') {
      if (this.failing > 0 && this.lastBad.get(device, point) !== undefined) {
        this.lastBad.delete(device, point);
        this.failing--;
      }
      return true;
    }
    const code = sample.code ?? '';
    const last = this.lastBad.get(device, point);
    if (last === code) return false;
    if (last === undefined) this.failing++;
    this.lastBad.set(device, point, code);
    return true;
  }
}
