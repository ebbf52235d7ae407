/** Device models after validation: every default resolved, addresses ready for the planner. */
import type { ModbusAddress } from '../southbound/modbus/address.js';
import type { SimulateSpec } from '../config/model-schema.js';

export interface ModelPoint {
  readonly name: string;
  readonly description?: string;
  readonly group: string;
  readonly address: ModbusAddress;
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

export interface DeviceModel {
  readonly id: string;
  readonly protocol: 'modbus';
  readonly description?: string;
  /** Poll groups: name -> interval in ms. */
  readonly groups: Readonly<Record<string, { readonly intervalMs: number }>>;
  readonly maxGap: number;
  /** FC15/FC16 for single coils and registers (device workaround). */
  readonly writeMultiple: boolean;
  readonly points: readonly ModelPoint[];
  /** File the model was loaded from (for messages). */
  readonly file: string;
}
