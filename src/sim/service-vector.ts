/**
 * The modbus-serial `IServiceVector` of a simulated device: FC1-6, 15 and 16 served from its banks.
 *
 * Policy (Modbus Application Protocol v1.1b3, section 7, exception codes):
 *   - reads of addresses no point covers return 0 / false, as many real devices do;
 *   - reads past address 65535 answer exception 02 (illegal data address);
 *   - register reads of more than 125 registers answer exception 03 (illegal data value, 6.3/6.4);
 *   - writes (FC5/6/15/16) to any coil/holding register no point covers answer exception 02.
 *     FC16 is checked as a whole before anything is stored. modbus-serial runs FC15 as one FC5
 *     per coil, so an FC15 that runs into unmapped coils stores the mapped ones before the
 *     exception is answered.
 * Callbacks use the synchronous form; modbus-serial picks the form by the callback's arity.
 */
import type { IServiceVector } from 'modbus-serial';
import { MAX_READ_REGISTERS } from '../southbound/modbus/address.js';
import { OutOfBoundsError, type Banks } from './banks.js';

export const EXCEPTION_ILLEGAL_DATA_ADDRESS = 0x02;
export const EXCEPTION_ILLEGAL_DATA_VALUE = 0x03;

/** An error modbus-serial's server turns into a Modbus exception response with this code. */
export class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number, message: string) {
    super(message);
    this.name = 'ModbusException';
  }
}

export type WritableTable = 'coil' | 'holding';

/** Called after a client write has been stored, with the range it covered. */
export type WriteListener = (table: WritableTable, start: number, count: number) => void;

function guard<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof OutOfBoundsError) throw new ModbusException(EXCEPTION_ILLEGAL_DATA_ADDRESS, err.message);
    throw err;
  }
}

function checkCount(length: number): void {
  if (length > MAX_READ_REGISTERS) {
    throw new ModbusException(EXCEPTION_ILLEGAL_DATA_VALUE, `${length} registers requested, at most ${MAX_READ_REGISTERS}`);
  }
}

function checkMapped(banks: Banks, table: WritableTable, start: number, count: number): void {
  if (!banks[table].isMapped(start, count)) {
    throw new ModbusException(
      EXCEPTION_ILLEGAL_DATA_ADDRESS,
      `${table} ${start}..${start + count - 1}: no point of the model covers every address`,
    );
  }
}

export function createServiceVector(banks: Banks, onWrite: WriteListener): IServiceVector {
  const readRegs = (table: 'input' | 'holding', addr: number, length: number): number[] => {
    checkCount(length);
    return guard(() => banks[table].read(addr, length));
  };
  const writeRegs = (addr: number, values: number[]): void => {
    checkMapped(banks, 'holding', addr, values.length);
    banks.holding.write(addr, values);
    onWrite('holding', addr, values.length);
  };
  return {
    getCoil: (addr: number, _unit: number): boolean => guard(() => banks.coil.get(addr)),
    getDiscreteInput: (addr: number, _unit: number): boolean => guard(() => banks.discrete.get(addr)),
    getInputRegister: (addr: number, _unit: number): number => guard(() => banks.input.get(addr)),
    getHoldingRegister: (addr: number, _unit: number): number => guard(() => banks.holding.get(addr)),
    getMultipleInputRegisters: (addr: number, length: number, _unit: number): number[] => readRegs('input', addr, length),
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number): number[] => readRegs('holding', addr, length),
    setCoil: (addr: number, value: boolean, _unit: number): void => {
      checkMapped(banks, 'coil', addr, 1);
      banks.coil.set(addr, value);
      onWrite('coil', addr, 1);
    },
    setRegister: (addr: number, value: number, _unit: number): void => writeRegs(addr, [value]),
    setRegisterArray: (addr: number, values: number[], _unit: number): void => writeRegs(addr, values),
  };
}
