/**
 * The four Modbus data tables of a simulated device (Modbus Application Protocol v1.1b3,
 * section 4.3: coils, discrete inputs, input registers, holding registers), stored sparsely.
 *
 * Bounds: each table spans protocol addresses 0..65535; an access past the end is out of
 * bounds (answered with exception 02 by the server). Inside the bounds a table reads 0 / false
 * where nothing was stored. Each table also records which addresses the model maps
 * (`map`/`isMapped`) so the server can refuse writes to registers no point covers.
 */

/** Addresses per table: 0..65535 (16-bit address field of the PDU). */
export const TABLE_SIZE = 65536;

/** Thrown for an access outside 0..65535; the server answers it with exception 02. */
export class OutOfBoundsError extends RangeError {
  constructor(start: number, count: number) {
    super(`addresses ${start}..${start + count - 1} are outside 0..${TABLE_SIZE - 1}`);
    this.name = 'OutOfBoundsError';
  }
}

function inBounds(start: number, count: number): boolean {
  return Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= TABLE_SIZE;
}

function checkRange(start: number, count: number): void {
  if (!inBounds(start, count)) throw new OutOfBoundsError(start, count);
}

/** One sparse table of values of type T with a default for addresses never written. */
class SparseTable<T> {
  private readonly cells = new Map<number, T>();
  private readonly mapped = new Set<number>();

  constructor(private readonly empty: T) {}

  read(start: number, count: number): T[] {
    checkRange(start, count);
    const out: T[] = [];
    for (let a = start; a < start + count; a++) out.push(this.cells.get(a) ?? this.empty);
    return out;
  }

  write(start: number, values: readonly T[]): void {
    checkRange(start, Math.max(1, values.length));
    values.forEach((v, i) => this.cells.set(start + i, v));
  }

  get(address: number): T {
    return this.read(address, 1)[0] ?? this.empty;
  }

  set(address: number, value: T): void {
    this.write(address, [value]);
  }

  /** Declares addresses start..start+count-1 as implemented by the device. */
  map(start: number, count: number): void {
    checkRange(start, count);
    for (let a = start; a < start + count; a++) this.mapped.add(a);
  }

  /** True when every address of the range is implemented (and inside the bounds). */
  isMapped(start: number, count: number): boolean {
    if (!inBounds(start, count)) return false;
    for (let a = start; a < start + count; a++) if (!this.mapped.has(a)) return false;
    return true;
  }
}

/** Coils and discrete inputs: one bit per address. */
export class BitTable extends SparseTable<boolean> {
  constructor() {
    super(false);
  }
}

/** Input and holding registers: one 16-bit word per address. */
export class RegisterTable extends SparseTable<number> {
  constructor() {
    super(0);
  }

  override write(start: number, values: readonly number[]): void {
    for (const w of values) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffff) throw new RangeError(`register value ${w} is not a 16-bit word`);
    }
    super.write(start, values);
  }
}

export interface Banks {
  readonly coil: BitTable;
  readonly discrete: BitTable;
  readonly input: RegisterTable;
  readonly holding: RegisterTable;
}

export function createBanks(): Banks {
  return { coil: new BitTable(), discrete: new BitTable(), input: new RegisterTable(), holding: new RegisterTable() };
}
