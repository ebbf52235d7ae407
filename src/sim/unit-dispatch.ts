/**
 * One Modbus service answering several unit ids, as a multi-drop bus does: each request goes to the
 * simulator of its unit id; a unit id nobody has gets no answer at all (a never-settling promise or
 * an uncalled callback makes modbus-serial's servers send nothing), exactly like a missing slave.
 */
import type { IServiceVector } from 'modbus-serial';

type Cb<T> = (err: unknown, value?: T) => void;

/** The synchronous forms our simulators implement (see service-vector.ts). */
interface SyncVector {
  getCoil(addr: number, unit: number): boolean;
  getDiscreteInput(addr: number, unit: number): boolean;
  getInputRegister(addr: number, unit: number): number;
  getHoldingRegister(addr: number, unit: number): number;
  getMultipleInputRegisters(addr: number, length: number, unit: number): number[];
  getMultipleHoldingRegisters(addr: number, length: number, unit: number): number[];
  setCoil(addr: number, value: boolean, unit: number): void;
  setRegister(addr: number, value: number, unit: number): void;
  setRegisterArray(addr: number, values: number[], unit: number): void;
}

const silence = <T>(): Promise<T> => new Promise<T>(() => undefined);

export function dispatchByUnit(units: ReadonlyMap<number, IServiceVector>): IServiceVector {
  const find = (unit: number): SyncVector | undefined => units.get(unit) as SyncVector | undefined;
  const one = <T>(call: (v: SyncVector) => T, unit: number): T | Promise<T> => {
    const v = find(unit);
    return v ? call(v) : silence<T>();
  };
  // Multi-register reads use the callback form: modbus-serial checks the length of a returned array.
  const many = (call: (v: SyncVector) => number[], unit: number, cb: Cb<number[]>): void => {
    const v = find(unit);
    if (!v) return;
    let values: number[];
    try {
      values = call(v);
    } catch (err) {
      cb(err);
      return;
    }
    cb(null, values);
  };
  const vector = {
    getCoil: (addr: number, unit: number) => one((v) => v.getCoil(addr, unit), unit),
    getDiscreteInput: (addr: number, unit: number) => one((v) => v.getDiscreteInput(addr, unit), unit),
    getInputRegister: (addr: number, unit: number) => one((v) => v.getInputRegister(addr, unit), unit),
    getHoldingRegister: (addr: number, unit: number) => one((v) => v.getHoldingRegister(addr, unit), unit),
    getMultipleInputRegisters: (addr: number, length: number, unit: number, cb: Cb<number[]>) => many((v) => v.getMultipleInputRegisters(addr, length, unit), unit, cb),
    getMultipleHoldingRegisters: (addr: number, length: number, unit: number, cb: Cb<number[]>) => many((v) => v.getMultipleHoldingRegisters(addr, length, unit), unit, cb),
    setCoil: (addr: number, value: boolean, unit: number) => one((v) => v.setCoil(addr, value, unit), unit),
    setRegister: (addr: number, value: number, unit: number) => one((v) => v.setRegister(addr, value, unit), unit),
    setRegisterArray: (addr: number, values: number[], unit: number) => one((v) => v.setRegisterArray(addr, values, unit), unit),
  };
  return vector as IServiceVector;
}
