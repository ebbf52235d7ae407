/**
 * Report bad quality by exception: a failing point yields a bad sample when it starts failing or its
 * error code changes, not on every cycle of a long outage (which would flood the queue with nulls).
 * Good samples always pass; deadband filtering of good values is a separate stage.
 */
import type { Sample } from '../model/sample.js';

export class QualityFilter {
  private readonly lastBad = new Map<string, string>();

  /** True when the sample should be forwarded. */
  accept(sample: Sample): boolean {
    const key = `${sample.device}\u0000${sample.point}`;
    if (sample.quality === 'good') {
      this.lastBad.delete(key);
      return true;
    }
    const code = sample.code ?? '';
    if (this.lastBad.get(key) === code) return false;
    this.lastBad.set(key, code);
    return true;
  }
}
