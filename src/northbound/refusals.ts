/**
 * A broker that accepts the connection but refuses our data: ACL denial or a message larger than
 * its maximum packet size. How brokers say no differs:
 * - MQTT 5: a PUBACK reason code (0x87 not authorised, 0x95 packet too large, ...), or the
 *   Maximum Packet Size in CONNACK, which the drain loop honours by splitting a batch up front;
 * - MQTT 3.1.1 has no way to refuse a publish: mosquitto and aedes close the connection (or
 *   mosquitto acknowledges and drops a denied message: nothing a client can see).
 *
 * For the silent kind, a connection that carried data messages and closed without acknowledging
 * any, twice in a row, is taken as a refusal: the batch size is halved (an oversize message gets
 * through once it is small enough, and we say so); at one sample per message it must be the ACL.
 * The batch size stays reduced for the life of the link. Each cause is one lastError code
 * (EW_CLOUD_PUBLISH_REFUSED) and one log line (CloudConnection.report); the connection's backoff
 * is not reset by such a connection, so none of this spins.
 */
import { ERROR_CODES } from '../errors.js';
import type { LinkError } from './link-errors.js';

/** MQTT 5 PUBACK reason codes >= 0x80 we explain (others are named by mqtt.js). */
const PUBACK_HINTS: Readonly<Record<number, string>> = {
  0x87: 'not authorised to publish (check the broker ACL for this client and topic)',
  0x90: 'topic name invalid for this broker',
  0x95: 'message larger than the broker accepts',
  0x97: 'quota exceeded',
};

/** Consecutive silent refusals before acting (one lost connection may be an ordinary network fault). */
const STREAK = 2;

export class RefusalTracker {
  private batchLimit: number;
  private streak = 0;

  constructor(
    maxSamples: number,
    private readonly topic: string,
    private readonly report: (e: LinkError) => void,
  ) {
    this.batchLimit = maxSamples;
  }

  /** Most samples per data message now. */
  get limit(): number {
    return this.batchLimit;
  }

  /** A connection ended: `sent` data messages went out on it, `acked` were acknowledged. */
  connectionClosed(sent: number, acked: number, largestBytes: number): void {
    if (sent === 0 || acked > 0) {
      this.streak = 0;
      return;
    }
    this.streak += 1;
    if (this.streak < STREAK) return;
    if (this.batchLimit > 1) {
      const from = this.batchLimit;
      this.batchLimit = Math.max(1, Math.floor(from / 2));
      this.refused(
        `cloud broker closed the connection ${this.streak} times after data messages (up to ${largestBytes} bytes) without acknowledging any: ` +
          `a message may exceed its maximum packet size; batches reduced from ${from} to ${this.batchLimit} samples`,
      );
      return;
    }
    this.refused(`cloud broker closes the connection on every data message, even of one sample: publishing to "${this.topic}" is probably denied (check the broker ACL for this client)`);
  }

  /** A data message's PUBACK arrived: the broker takes our data. */
  acked(): void {
    this.streak = 0;
  }

  /** MQTT 5: a PUBACK with a failure reason code. Returns true when it was a refusal. */
  pubackRefused(reasonCode: number | undefined, bytes: number): boolean {
    if (reasonCode === undefined || reasonCode < 0x80) return false;
    const hint = PUBACK_HINTS[reasonCode] ?? 'refused';
    if (reasonCode === 0x95 && this.batchLimit > 1) {
      const from = this.batchLimit;
      this.batchLimit = Math.max(1, Math.floor(from / 2));
      this.refused(`cloud broker refused a ${bytes}-byte data message: ${hint} (reason code ${reasonCode}); batches reduced from ${from} to ${this.batchLimit} samples`);
    } else {
      this.refused(`cloud broker refused a data message on "${this.topic}": ${hint} (reason code ${reasonCode})`);
    }
    return true;
  }

  /** MQTT 5 Maximum Packet Size forced a split: keep later batches under it too. */
  shrinkTo(samples: number, bytes: number, maxPacketSize: number): void {
    if (samples >= this.batchLimit) return;
    const from = this.batchLimit;
    this.batchLimit = Math.max(1, samples);
    this.refused(`a ${bytes}-byte data message exceeds the broker's maximum packet size (${maxPacketSize}): batches reduced from ${from} to ${this.batchLimit} samples`);
  }

  private refused(message: string): void {
    this.report({ code: ERROR_CODES.CLOUD_PUBLISH_REFUSED, message, at: Date.now() });
  }
}
