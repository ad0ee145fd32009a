// A minimal GGUF (version 3) writer, so tests and benchmarks can make model files themselves:
// no weights can be downloaded on the machines that run them. Format: magic, version, tensor and
// metadata counts, typed key/value pairs, tensor descriptors (dimensions ne0 first), padding to the
// alignment, then each tensor's bytes at an aligned offset. Tensor data is written in chunks from
// a generator, so a multi-gigabyte model never has to fit in memory.
import { open } from 'node:fs/promises';

/** ggml tensor types this writer can size (the ones our models use). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
}

const enum ValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

export type GgufScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';
type ScalarJs<T extends GgufScalarType> = T extends 'string'
  ? string
  : T extends 'bool'
    ? boolean
    : T extends 'u64' | 'i64'
      ? bigint | number
      : number;

export type GgufValue =
  | { readonly type: GgufScalarType; readonly value: string | number | boolean | bigint }
  | { readonly type: 'array'; readonly itemType: GgufScalarType; readonly values: ArrayLike<string | number | boolean | bigint> };

/** Typed value constructors, e.g. `{ 'llama.block_count': gguf.u32(2) }`. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: 'u8', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  u64: (value: number | bigint): GgufValue => ({ type: 'u64', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  array: <T extends GgufScalarType>(itemType: T, values: ArrayLike<ScalarJs<T>>): GgufValue => ({ type: 'array', itemType, values }),
};

export type GgufMetadata = Readonly<Record<string, GgufValue>>;

export interface GgufTensor {
  readonly name: string;
  /** Dimensions in ggml order: ne0 (the contiguous one, a row's length) first. */
  readonly dims: readonly number[];
  readonly type: GgmlType;
  /** The tensor's bytes, in order, as one buffer or a sequence of chunks. */
  readonly data: () => Uint8Array | Iterable<Uint8Array>;
}

export interface GgufFile {
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensor[];
  /** Defaults to 32 (GGUF's default); written as `general.alignment` when different. */
  readonly alignment?: number;
}

const Q8_0_BLOCK = 32;

/** Bytes a tensor of this type and shape takes. */
export function tensorByteSize(type: GgmlType, dims: readonly number[]): number {
  const count = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case GgmlType.F32:
      return count * 4;
    case GgmlType.F16:
      return count * 2;
    case GgmlType.Q8_0:
      if (dims[0] % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 rows must be a multiple of ${Q8_0_BLOCK} long, got ${dims[0]}`);
      return (count / Q8_0_BLOCK) * (2 + Q8_0_BLOCK);
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE half-precision bits of a number (round to nearest even). */
export function toHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly rounds up into the exponent (and to infinity at the top).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** F32 tensor bytes from numbers. */
export function f32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** F16 tensor bytes from numbers. */
export function f16Bytes(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]);
  return new Uint8Array(out.buffer);
}

/** Q8_0 tensor bytes from numbers (blocks of 32: an f16 scale, then 32 int8). */
export function q8_0Bytes(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new Error('Q8_0 data must be a multiple of 32 values');
  const out = new Uint8Array((values.length / Q8_0_BLOCK) * (2 + Q8_0_BLOCK));
  const view = new DataView(out.buffer);
  for (let block = 0, o = 0; block < values.length; block += Q8_0_BLOCK, o += 2 + Q8_0_BLOCK) {
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(values[block + i]));
    const d = amax / 127;
    view.setUint16(o, toHalf(d), true);
    const inv = d === 0 ? 0 : 1 / d;
    for (let i = 0; i < Q8_0_BLOCK; i++) view.setInt8(o + 2 + i, Math.round(values[block + i] * inv));
  }
  return out;
}

/** Collects the header bytes into growing chunks. */
class ByteSink {
  private chunks: Uint8Array[] = [];
  private current = Buffer.alloc(1 << 16);
  private used = 0;
  length = 0;

  private ensure(n: number): void {
    if (this.used + n <= this.current.length) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = Buffer.alloc(Math.max(1 << 16, n));
    this.used = 0;
  }
  u8(v: number): void {
    this.ensure(1);
    this.current.writeUInt8(v, this.used);
    this.used += 1;
    this.length += 1;
  }
  i8(v: number): void {
    this.ensure(1);
    this.current.writeInt8(v, this.used);
    this.used += 1;
    this.length += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.current.writeUInt16LE(v, this.used);
    this.used += 2;
    this.length += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.current.writeInt16LE(v, this.used);
    this.used += 2;
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.current.writeUInt32LE(v, this.used);
    this.used += 4;
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.current.writeInt32LE(v, this.used);
    this.used += 4;
    this.length += 4;
  }
  f32(v: number): void {
    this.ensure(4);
    this.current.writeFloatLE(v, this.used);
    this.used += 4;
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.current.writeDoubleLE(v, this.used);
    this.used += 8;
    this.length += 8;
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.current.writeBigUInt64LE(BigInt(v), this.used);
    this.used += 8;
    this.length += 8;
  }
  i64(v: number | bigint): void {
    this.ensure(8);
    this.current.writeBigInt64LE(BigInt(v), this.used);
    this.used += 8;
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.current.set(b, this.used);
    this.used += b.length;
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.bytes(new Uint8Array(n));
  }
  finish(): Uint8Array[] {
    return [...this.chunks, this.current.subarray(0, this.used)];
  }
}

const valueTypeCode: Record<GgufScalarType, ValueType> = {
  u8: ValueType.Uint8,
  i8: ValueType.Int8,
  u16: ValueType.Uint16,
  i16: ValueType.Int16,
  u32: ValueType.Uint32,
  i32: ValueType.Int32,
  f32: ValueType.Float32,
  bool: ValueType.Bool,
  string: ValueType.String,
  u64: ValueType.Uint64,
  i64: ValueType.Int64,
  f64: ValueType.Float64,
};

function writeScalar(sink: ByteSink, type: GgufScalarType, value: string | number | boolean | bigint): void {
  switch (type) {
    case 'u8':
      return sink.u8(Number(value));
    case 'i8':
      return sink.i8(Number(value));
    case 'u16':
      return sink.u16(Number(value));
    case 'i16':
      return sink.i16(Number(value));
    case 'u32':
      return sink.u32(Number(value));
    case 'i32':
      return sink.i32(Number(value));
    case 'f32':
      return sink.f32(Number(value));
    case 'f64':
      return sink.f64(Number(value));
    case 'bool':
      return sink.u8(value ? 1 : 0);
    case 'u64':
      return sink.u64(typeof value === 'bigint' ? value : Number(value));
    case 'i64':
      return sink.i64(typeof value === 'bigint' ? value : Number(value));
    case 'string':
      return sink.string(String(value));
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Writes a GGUF v3 file. Returns its size in bytes. */
export async function writeGguf(path: string, file: GgufFile): Promise<number> {
  const alignment = file.alignment ?? 32;
  const metadata: Record<string, GgufValue> = { ...file.metadata };
  if (alignment !== 32) metadata['general.alignment'] = gguf.u32(alignment);
  const names = new Set<string>();
  for (const t of file.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    names.add(t.name);
  }

  const header = new ByteSink();
  header.bytes(Buffer.from('GGUF', 'latin1'));
  header.u32(3);
  header.u64(file.tensors.length);
  header.u64(Object.keys(metadata).length);
  for (const [key, entry] of Object.entries(metadata)) {
    header.string(key);
    if (entry.type === 'array') {
      header.u32(ValueType.Array);
      header.u32(valueTypeCode[entry.itemType]);
      header.u64(entry.values.length);
      for (let i = 0; i < entry.values.length; i++) writeScalar(header, entry.itemType, entry.values[i]);
    } else {
      header.u32(valueTypeCode[entry.type]);
      writeScalar(header, entry.type, entry.value);
    }
  }
  const sizes = file.tensors.map((t) => tensorByteSize(t.type, t.dims));
  let offset = 0;
  for (const [i, t] of file.tensors.entries()) {
    header.string(t.name);
    header.u32(t.dims.length);
    for (const d of t.dims) header.u64(d);
    header.u32(t.type);
    header.u64(offset);
    offset = alignUp(offset + sizes[i], alignment);
  }
  header.pad(alignment);

  const handle = await open(path, 'w');
  try {
    let position = 0;
    const write = async (chunk: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    };
    for (const chunk of header.finish()) await write(chunk);
    const dataStart = position;
    for (const [i, t] of file.tensors.entries()) {
      const produced = t.data();
      let written = 0;
      for (const chunk of produced instanceof Uint8Array ? [produced] : produced) {
        written += chunk.length;
        if (written > sizes[i]) break;
        await write(chunk);
      }
      if (written !== sizes[i]) {
        throw new Error(`tensor ${t.name}: expected ${sizes[i]} bytes of data, got ${written}`);
      }
      const padding = alignUp(position - dataStart, alignment) - (position - dataStart);
      if (padding > 0 && i < file.tensors.length - 1) await write(new Uint8Array(padding));
    }
    return position;
  } finally {
    await handle.close();
  }
}
