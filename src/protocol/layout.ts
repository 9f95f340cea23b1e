// SPDX-License-Identifier: BSD-2-Clause
// Fixed-layout little-endian structs, laid out by the C rules (natural
// alignment, tail padding). Each wire struct is declared once here and the
// layout test compares every size and offset with the C compiler's view of
// kernel/include/uapi/linux/daedalus-v4l2.h.

export type Scalar = "u8" | "u16" | "u32" | "u64";

export type FieldType =
  | Scalar
  | { readonly kind: "chars"; readonly length: number }
  | { readonly kind: "array"; readonly of: Scalar; readonly length: number }
  | StructLayout;

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly kind: "struct";
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Field[];
}

const SCALAR_SIZE: Record<Scalar, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

export const chars = (length: number) => ({ kind: "chars", length }) as const;
export const array = (of: Scalar, length: number) => ({ kind: "array", of, length }) as const;

function sizeAlign(type: FieldType): { size: number; align: number } {
  if (typeof type === "string") return { size: SCALAR_SIZE[type], align: SCALAR_SIZE[type] };
  if (type.kind === "chars") return { size: type.length, align: 1 };
  if (type.kind === "array") {
    const s = SCALAR_SIZE[type.of];
    return { size: s * type.length, align: s };
  }
  return { size: type.size, align: type.align };
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Lays out a C struct from its fields in declaration order. */
export function defineStruct(
  name: string,
  fields: ReadonlyArray<readonly [string, FieldType]>,
): StructLayout {
  let offset = 0;
  let align = 1;
  const out: Field[] = [];
  for (const [fieldName, type] of fields) {
    const sa = sizeAlign(type);
    offset = alignUp(offset, sa.align);
    out.push({ name: fieldName, type, offset, size: sa.size });
    offset += sa.size;
    align = Math.max(align, sa.align);
  }
  return { kind: "struct", name, size: alignUp(offset, align), align, fields: out };
}

/** Every field's absolute offset and size, nested structs flattened as "outer.inner". */
export function flattenFields(
  layout: StructLayout,
  base = 0,
  prefix = "",
): Map<string, { offset: number; size: number }> {
  const map = new Map<string, { offset: number; size: number }>();
  for (const f of layout.fields) {
    const path = prefix + f.name;
    map.set(path, { offset: base + f.offset, size: f.size });
    if (typeof f.type !== "string" && f.type.kind === "struct") {
      for (const [k, v] of flattenFields(f.type, base + f.offset, `${path}.`)) map.set(k, v);
    }
  }
  return map;
}

export type Value = number | bigint | string | number[] | { [key: string]: Value };

function readScalar(view: DataView, at: number, type: Scalar): number | bigint {
  switch (type) {
    case "u8":
      return view.getUint8(at);
    case "u16":
      return view.getUint16(at, true);
    case "u32":
      return view.getUint32(at, true);
    case "u64":
      return view.getBigUint64(at, true);
  }
}

function writeScalar(view: DataView, at: number, type: Scalar, value: Value | undefined): void {
  switch (type) {
    case "u8":
      view.setUint8(at, Number(value ?? 0));
      return;
    case "u16":
      view.setUint16(at, Number(value ?? 0), true);
      return;
    case "u32":
      view.setUint32(at, Number(value ?? 0), true);
      return;
    case "u64":
      view.setBigUint64(at, BigInt((value as number | bigint | undefined) ?? 0), true);
      return;
  }
}

/**
 * Reads a struct into a plain object. Character arrays are read up to their
 * first NUL; a missing NUL is reported as the whole field plus "\u0000" so
 * that a schema can refuse it.
 */
export function readStruct(layout: StructLayout, view: DataView, base = 0): { [key: string]: Value } {
  const out: { [key: string]: Value } = {};
  for (const f of layout.fields) {
    const at = base + f.offset;
    const t = f.type;
    if (typeof t === "string") out[f.name] = readScalar(view, at, t);
    else if (t.kind === "chars") {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + at, t.length);
      const nul = bytes.indexOf(0);
      const text = new TextDecoder().decode(bytes.subarray(0, nul < 0 ? t.length : nul));
      out[f.name] = nul < 0 ? `${text}\u0000` : text;
    } else if (t.kind === "array") {
      const step = SCALAR_SIZE[t.of];
      out[f.name] = Array.from({ length: t.length }, (_, i) => Number(readScalar(view, at + i * step, t.of)));
    } else out[f.name] = readStruct(t, view, at);
  }
  return out;
}

/** Writes a struct; absent fields are zero, strings are NUL-padded (and must fit). */
export function writeStruct(
  layout: StructLayout,
  view: DataView,
  value: { readonly [key: string]: Value | undefined },
  base = 0,
): void {
  for (const f of layout.fields) {
    const at = base + f.offset;
    const t = f.type;
    const v = value[f.name];
    if (typeof t === "string") writeScalar(view, at, t, v);
    else if (t.kind === "chars") {
      const bytes = new TextEncoder().encode(typeof v === "string" ? v : "");
      if (bytes.length >= t.length) throw new RangeError(`${layout.name}.${f.name}: longer than ${t.length - 1} bytes`);
      const dst = new Uint8Array(view.buffer, view.byteOffset + at, t.length);
      dst.fill(0);
      dst.set(bytes);
    } else if (t.kind === "array") {
      const step = SCALAR_SIZE[t.of];
      const items = Array.isArray(v) ? v : [];
      for (let i = 0; i < t.length; i++) writeScalar(view, at + i * step, t.of, items[i] ?? 0);
    } else writeStruct(t, view, (v as { [key: string]: Value } | undefined) ?? {}, at);
  }
}
