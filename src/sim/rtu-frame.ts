/** RTU framing helpers: CRC-16/Modbus and the length of a request frame from its first bytes. */

/** CRC-16/Modbus (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Appends the CRC to an RTU frame body (unit id, PDU). */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + 2);
  out.set(body);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const body = frame.subarray(0, frame.length - 2);
  return Buffer.from(frame).readUInt16LE(frame.length - 2) === crc16(body);
}

/**
 * Length of the request frame starting at `buf[0]` (FC 1-6: 8 bytes; FC 15/16: 9 + byte count),
 * undefined while too few bytes arrived to tell, null for a function code this bus does not serve.
 */
export function requestLength(buf: Uint8Array): number | undefined | null {
  if (buf.length < 2) return undefined;
  const fc = buf[1] ?? 0;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length < 7 ? undefined : 9 + (buf[6] ?? 0);
  return null;
}
