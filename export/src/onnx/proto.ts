// Hand-written protobuf encoder for the subset of onnx.proto (IR ≤ 10) that export writes.
//
// Why not a library: no maintained npm package *exports* ONNX from TypeScript. The schema package
// `onnx-proto` 8.0.1 (protobufjs-generated) was checked: it encodes ModelProto correctly and fast
// enough (200 MB of inline initializers in ~0.95 s; this writer: ~0.5 s), but it pulls in protobufjs 6
// (a superseded major) and its object model, and we need only encoding of ~10 message types plus a
// reader for initializers (read.ts) — about 250 lines together, no dependency. Field numbers are from
// onnx/onnx.proto (proto2: repeated scalars are written unpacked, which every parser accepts). With
// weights as external data the graph files are ~25 KB, so encoding speed barely matters anyway.

/** TensorProto.DataType values we use. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/**
 * Protobuf writer that never copies large payloads while encoding: scalars go into a small growable
 * buffer, byte fields ≥ 4 KiB and nested messages are kept as chunk references, and `finish()`
 * concatenates once (so a 200 MB tensor is copied exactly once, however deep it is nested).
 */
export class ProtoWriter {
  private buf: Uint8Array;
  private len = 0;
  private readonly chunks: Uint8Array[] = [];
  private flushed = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }
  /** Total encoded length so far. */
  get length(): number {
    return this.flushed + this.len;
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  /** Moves the scalar buffer into the chunk list (before appending a referenced chunk). */
  private flush(): void {
    if (this.len === 0) return;
    this.chunks.push(this.buf.slice(0, this.len));
    this.flushed += this.len;
    this.len = 0;
  }
  private appendRef(data: Uint8Array): void {
    this.flush();
    this.chunks.push(data);
    this.flushed += data.length;
  }
  /** Unsigned varint of a non-negative safe integer or any int64 as bigint (negatives: two's complement, 10 bytes). */
  rawVarint(v: number | bigint): void {
    let x = typeof v === "bigint" ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
    this.ensure(10);
    if (typeof x === "number") {
      if (!Number.isSafeInteger(x)) throw new Error(`varint: ${x} is not a safe integer`);
      while (x >= 0x80) {
        this.buf[this.len++] = (x % 0x80) | 0x80;
        x = Math.floor(x / 0x80);
      }
      this.buf[this.len++] = x;
      return;
    }
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }
  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }
  varint(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.rawVarint(v);
  }
  float32(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.rawVarint(data.length);
    if (data.length >= 4096) {
      this.appendRef(data);
      return;
    }
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }
  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, encode: (w: ProtoWriter) => void): void {
    const child = new ProtoWriter(64);
    encode(child);
    child.flush();
    this.tag(field, 2);
    this.rawVarint(child.flushed);
    if (child.flushed < 4096) {
      for (const c of child.chunks) {
        this.ensure(c.length);
        this.buf.set(c, this.len);
        this.len += c.length;
      }
      return;
    }
    this.flush();
    for (const c of child.chunks) this.chunks.push(c);
    this.flushed += child.flushed;
  }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.flushed);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// ---- ONNX messages (plain data) ----

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface TensorMessage {
  name: string;
  dataType: DataTypeCode;
  dims: readonly number[];
  /** Little-endian bytes of the tensor (inline storage). */
  rawData?: Uint8Array;
  /** External storage: `location`, `offset`, `length` entries (data_location = EXTERNAL). */
  external?: { location: string; offset: number; length: number };
}

export type AttributeValue =
  | { kind: "float"; value: number }
  | { kind: "int"; value: number }
  | { kind: "string"; value: string }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "ints"; value: readonly number[] }
  | { kind: "tensor"; value: TensorMessage };

export interface NodeMessage {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A dimension: a fixed size or a symbolic (dynamic) name such as "B". */
export type Dim = number | string;

export interface ValueInfoMessage {
  name: string;
  elemType: DataTypeCode;
  shape: readonly Dim[];
}

export interface GraphMessage {
  name: string;
  nodes: readonly NodeMessage[];
  initializers: readonly TensorMessage[];
  inputs: readonly ValueInfoMessage[];
  outputs: readonly ValueInfoMessage[];
  valueInfo?: readonly ValueInfoMessage[];
}

export interface ModelMessage {
  irVersion: number;
  opsetImports: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphMessage;
  metadata?: readonly StringStringEntry[];
}

function writeEntry(w: ProtoWriter, e: StringStringEntry): void {
  w.string(1, e.key);
  w.string(2, e.value);
}

export function writeTensor(w: ProtoWriter, t: TensorMessage): void {
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.dataType);
  w.string(8, t.name);
  if (t.external) {
    const ext = t.external;
    w.message(13, (e) => writeEntry(e, { key: "location", value: ext.location }));
    w.message(13, (e) => writeEntry(e, { key: "offset", value: String(ext.offset) }));
    w.message(13, (e) => writeEntry(e, { key: "length", value: String(ext.length) }));
    w.varint(14, 1);
  } else {
    w.bytes(9, t.rawData ?? new Uint8Array(0));
  }
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case "float":
      w.float32(2, a.value);
      w.varint(20, AttrType.FLOAT);
      break;
    case "int":
      w.varint(3, a.value);
      w.varint(20, AttrType.INT);
      break;
    case "string":
      w.string(4, a.value);
      w.varint(20, AttrType.STRING);
      break;
    case "tensor":
      w.message(5, (t) => writeTensor(t, a.value));
      w.varint(20, AttrType.TENSOR);
      break;
    case "floats":
      for (const f of a.value) w.float32(7, f);
      w.varint(20, AttrType.FLOATS);
      break;
    case "ints":
      for (const i of a.value) w.varint(8, i);
      w.varint(20, AttrType.INTS);
      break;
  }
}

function writeNode(w: ProtoWriter, n: NodeMessage): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, (a) => writeAttribute(a, k, v));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoMessage): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === "number" ? dim.varint(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, g: GraphMessage): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
  for (const v of g.valueInfo ?? []) w.message(13, (m) => writeValueInfo(m, v));
}

/** Serializes a ModelProto. */
export function encodeModel(m: ModelMessage): Uint8Array {
  const w = new ProtoWriter(1 << 16);
  w.varint(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => writeGraph(g, m.graph));
  for (const o of m.opsetImports) {
    w.message(8, (op) => {
      if (o.domain) op.string(1, o.domain);
      op.varint(2, o.version);
    });
  }
  for (const e of m.metadata ?? []) w.message(14, (x) => writeEntry(x, e));
  return w.finish();
}
