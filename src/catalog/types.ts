/** Device models after validation: every default resolved, addresses ready for the planner. */
import type { ModbusAddress } from '../southbound/modbus/address.js';
import type { SimulateSpec } from '../config/model-schema.js';

/** What every point has, whatever the protocol. */
export interface PointBase {
  readonly name: string;
  readonly description?: string;
  readonly access: 'r' | 'rw';
  readonly scale: number;
  readonly offset: number;
  readonly unit?: string;
  readonly range?: { readonly min?: number; readonly max?: number };
  readonly simulate?: SimulateSpec;
  /** State codes: raw integer (as a decimal string) -> label. */
  readonly enum?: Readonly<Record<string, string>>;
  /** Report by exception; absent = every poll is reported. */
  readonly deadband?: { readonly absolute?: number; readonly percent?: number; readonly heartbeatMs?: number };
}

/** A point read from registers by polling. */
export interface ModbusPoint extends PointBase {
  readonly group: string;
  readonly address: ModbusAddress;
}

/** One step of a JSON field path: an object key or an array index (`readings[0].v`). */
export type FieldStep = string | number;

/** Where a pushed MQTT message carries a point (see southbound/mqtt-device). */
export interface MqttSource {
  /** Topic template with `{device}` (the device's topicId), e.g. sensors/{device}/telemetry. */
  readonly topic: string;
  /** The JSON field path as written in the model, e.g. env.hum. */
  readonly field: string;
  readonly path: readonly FieldStep[];
  readonly type: 'number' | 'boolean' | 'string';
}

/** A point pushed by an MQTT-native device. */
export interface MqttPoint extends PointBase {
  readonly source: MqttSource;
}

export type ModelPoint = ModbusPoint | MqttPoint;

interface ModelBase {
  readonly id: string;
  readonly description?: string;
  /** File the model was loaded from (for messages). */
  readonly file: string;
}

export interface ModbusModel extends ModelBase {
  readonly protocol: 'modbus';
  /** Poll groups: name -> interval in ms. */
  readonly groups: Readonly<Record<string, { readonly intervalMs: number }>>;
  readonly maxGap: number;
  /** FC15/FC16 for single coils and registers (device workaround). */
  readonly writeMultiple: boolean;
  readonly points: readonly ModbusPoint[];
}

export interface MqttModel extends ModelBase {
  readonly protocol: 'mqtt';
  readonly points: readonly MqttPoint[];
}

/** Narrow with `model.protocol`: Modbus code paths take ModbusModel only. */
export type DeviceModel = ModbusModel | MqttModel;
