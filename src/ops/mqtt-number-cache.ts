/**
 * mqtt-packet (the MQTT encoder under both mqtt.js and aedes) fills a cache of 65,536 two-byte
 * Buffers, one per 16-bit number, the first time it writes a packet: about 7 MB of live heap in a
 * gateway whose whole live heap at 10,000 points/s is ~35 MB. Without the cache it allocates the
 * two bytes of a topic length or message id per packet instead, which costs nothing measurable at
 * the gateway's packet rates (batches to the cloud, latest values only to subscribed local apps).
 * mqtt.js has the same switch as its `writeCache: false` option, but that flips it only when a cloud
 * client is created, possibly after the embedded broker wrote its first packet.
 */
import { createRequire } from 'node:module';

interface PacketWriter {
  writeToStream?: { cacheNumbers?: boolean };
}

/** Turns the cache off before any packet is written; false when mqtt-packet could not be reached. */
export function skipMqttNumberCache(): boolean {
  try {
    const writer = createRequire(import.meta.url)('mqtt-packet') as PacketWriter;
    if (writer.writeToStream === undefined) return false;
    writer.writeToStream.cacheNumbers = false;
    return writer.writeToStream.cacheNumbers === false;
  } catch {
    return false; // a packaging without the hoisted module: only memory is at stake
  }
}
