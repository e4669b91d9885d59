/**
 * Exact JSON encoding of training state: typed arrays as base64 of their bytes and
 * non-finite numbers as tagged strings, so a run written to disk and read back
 * continues bit-for-bit (plain JSON would turn NaN into null and floats into text).
 */

type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array;

const TYPED: Record<string, new (buffer: ArrayBuffer) => TypedArray> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Uint8Array,
};

export function encodeTypedArray(a: TypedArray): { $typed: string; b64: string } {
  return { $typed: a.constructor.name, b64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

export function decodeTypedArray(value: { $typed: string; b64: string }): TypedArray {
  const Ctor = TYPED[value.$typed];
  if (!Ctor) throw new Error(`unknown typed array type ${value.$typed}`);
  const bytes = Buffer.from(value.b64, 'base64');
  // Copy into a fresh, aligned buffer.
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return new Ctor(buffer);
}

/** Turns any state made of numbers, strings, booleans, null, arrays, plain objects and typed arrays into JSON-safe data. */
export function encodeState(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return Object.is(value, -0) ? { $num: '-0' } : value;
    return { $num: String(value) };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (ArrayBuffer.isView(value)) {
    if (!(value.constructor.name in TYPED)) throw new Error(`cannot encode ${value.constructor.name}`);
    return encodeTypedArray(value as TypedArray);
  }
  if (Array.isArray(value)) return value.map(encodeState);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`cannot encode an instance of ${(value as object).constructor?.name ?? 'unknown class'} in training state`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeState(v);
    return out;
  }
  throw new Error(`cannot encode a ${typeof value} in training state`);
}

/** Inverse of encodeState. */
export function decodeState(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeState);
  const obj = value as Record<string, unknown>;
  if (typeof obj.$typed === 'string' && typeof obj.b64 === 'string') return decodeTypedArray(obj as { $typed: string; b64: string });
  if (typeof obj.$num === 'string' && Object.keys(obj).length === 1) return Number(obj.$num);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeState(v);
  return out;
}
