/**
 * `edgeway run` turns off mqtt-packet's number cache (65,536 Buffers, ~7 MB of heap): the flag is
 * off on the very module mqtt.js and aedes use, and packets are still encoded correctly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { skipMqttNumberCache } from '../../src/ops/mqtt-number-cache.js';

interface MqttPacket {
  writeToStream: { cacheNumbers: boolean };
  generate(packet: Record<string, unknown>): Buffer;
}

test('the number cache is off and packets are still encoded', () => {
  // Resolved from mqtt's own location: the instance the cloud client encodes with.
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'))('mqtt-packet') as MqttPacket;
  const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'))('mqtt-packet') as MqttPacket;
  fromMqtt.writeToStream.cacheNumbers = true;
  assert.equal(skipMqttNumberCache(), true);
  assert.equal(fromMqtt.writeToStream.cacheNumbers, false);
  assert.equal(fromAedes.writeToStream.cacheNumbers, false);
  const packet = fromMqtt.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 0x1234, retain: false, dup: false });
  // fixed header, remaining length 8, topic length 0x0003, "a/b", message id 0x1234, payload "x"
  assert.deepEqual([...packet], [0x32, 8, 0, 3, 0x61, 0x2f, 0x62, 0x12, 0x34, 0x78]);
});
