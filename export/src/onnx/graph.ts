// An onnx.helper-style graph builder: named inputs/outputs with symbolic dims, initializers from
// typed arrays, nodes with attributes, and serialization to a ModelProto with optional external
// data (one `<file>.data` beside the graph) and optional fp16 storage of weight matrices.
import { endianness } from "node:os";
import { DataType, encodeModel } from "./proto.ts";
import type { AttributeValue, DataTypeCode, Dim, NodeMessage, TensorMessage, ValueInfoMessage } from "./proto.ts";
import { float32ToFloat16 } from "./fp16.ts";

if (endianness() !== "LE") throw new Error("ONNX raw data is little-endian; this writer assumes a little-endian host");

/** Opset of the default domain: 17 is supported by every ONNX Runtime CPU and CUDA kernel we use (1.14+). */
export const OPSET = 17;
/** IR version matching opset 17 (ONNX 1.12). */
export const IR_VERSION = 8;
export const MS_DOMAIN = "com.microsoft";

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

export interface Initializer {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  data: TypedData;
}

/** Attribute shorthand: numbers are ints unless wrapped with `f()`; arrays of numbers are ints. */
export type AttrInput = number | string | readonly number[] | AttributeValue;

/** Marks a float attribute (plain numbers are ints). */
export function f(value: number): AttributeValue {
  return { kind: "float", value };
}

function toAttr(v: AttrInput): AttributeValue {
  if (typeof v === "number") return { kind: "int", value: v };
  if (typeof v === "string") return { kind: "string", value: v };
  if (Array.isArray(v)) return { kind: "ints", value: v as readonly number[] };
  return v as AttributeValue;
}

export function dataTypeOf(data: TypedData): DataTypeCode {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Int8Array) return DataType.INT8;
  if (data instanceof Uint8Array) return DataType.UINT8;
  return DataType.FLOAT16; // Uint16Array holds IEEE half bits
}

function bytesOf(data: TypedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export interface SerializeOptions {
  /** Store initializers of at least `thresholdBytes` in this file (name relative to the graph). */
  externalData?: { location: string; thresholdBytes?: number };
  /** Store float initializers of rank ≥ 2 as float16, with a Cast back to float32 in the graph. */
  fp16Weights?: boolean;
  docString?: string;
  metadata?: Record<string, string>;
}

export interface SerializedModel {
  model: Uint8Array;
  /** External data bytes (empty when nothing went external). */
  data: Uint8Array;
}

/** External tensors start at multiples of this many bytes (lets the runtime map them aligned). */
const EXTERNAL_ALIGN = 64;

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers = new Map<string, Initializer>();
  readonly inputs: ValueInfoMessage[] = [];
  readonly outputs: ValueInfoMessage[] = [];
  private counter = 0;
  private readonly usesMsDomain = { value: false };

  constructor(readonly name: string) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}__${this.counter++}`;
  }

  input(name: string, elemType: DataTypeCode, shape: readonly Dim[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(name: string, elemType: DataTypeCode, shape: readonly Dim[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  initializer(name: string, data: TypedData, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    if (this.initializers.has(name)) throw new Error(`initializer ${name} defined twice`);
    this.initializers.set(name, { name, dataType: dataTypeOf(data), dims: [...dims], data });
    return name;
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** A small float32 constant (as an initializer with a generated name). */
  constF(values: readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.initializer(this.fresh("c"), data, dims ?? (data.length === 1 ? [] : [data.length]));
  }

  constD(values: readonly number[] | Float64Array, dims?: readonly number[]): string {
    const data = values instanceof Float64Array ? values : Float64Array.from(values);
    return this.initializer(this.fresh("c"), data, dims ?? (data.length === 1 ? [] : [data.length]));
  }

  /** An int64 constant: 1-D unless `dims` says otherwise (pass [] for a scalar). */
  constI64(values: readonly number[], dims?: readonly number[]): string {
    return this.initializer(this.fresh("c"), BigInt64Array.from(values.map((v) => BigInt(v))), dims ?? [values.length]);
  }

  /** Adds a node and returns its output names. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrInput>> = {},
    opts: { outputs?: number | readonly string[]; domain?: string; name?: string } = {},
  ): string[] {
    const outs =
      Array.isArray(opts.outputs) ? [...(opts.outputs as readonly string[])]
      : Array.from({ length: (opts.outputs as number | undefined) ?? 1 }, () => this.fresh(opType));
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(attrs)) attributes[k] = toAttr(v);
    if (opts.domain === MS_DOMAIN) this.usesMsDomain.value = true;
    this.nodes.push({ opType, inputs: [...inputs], outputs: outs, attributes, domain: opts.domain, name: opts.name ?? outs[0] });
    return outs;
  }

  /** A single-output node. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrInput>> = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output ? { outputs: [output] } : {})[0];
  }

  serialize(opts: SerializeOptions = {}): SerializedModel {
    let nodes = this.nodes;
    const inits = [...this.initializers.values()];
    const stored: Initializer[] = [];
    if (opts.fp16Weights) {
      const renamed = new Map<string, string>();
      const casts: NodeMessage[] = [];
      for (const init of inits) {
        if (init.dataType === DataType.FLOAT && init.dims.length >= 2) {
          const f32 = `${init.name}::f32`;
          renamed.set(init.name, f32);
          casts.push({ opType: "Cast", inputs: [init.name], outputs: [f32], name: f32, attributes: { to: { kind: "int", value: DataType.FLOAT } } });
          stored.push({ ...init, dataType: DataType.FLOAT16, data: float32ToFloat16(init.data as Float32Array) });
        } else {
          stored.push(init);
        }
      }
      nodes = [...casts, ...nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => renamed.get(i) ?? i) }))];
    } else {
      stored.push(...inits);
    }

    const tensors: TensorMessage[] = [];
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const threshold = opts.externalData?.thresholdBytes ?? 1024;
    for (const init of stored) {
      const bytes = bytesOf(init.data);
      if (opts.externalData && bytes.length >= threshold) {
        const pad = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
        if (pad) chunks.push(new Uint8Array(pad));
        offset += pad;
        tensors.push({ name: init.name, dataType: init.dataType, dims: init.dims, external: { location: opts.externalData.location, offset, length: bytes.length } });
        chunks.push(bytes);
        offset += bytes.length;
      } else {
        tensors.push({ name: init.name, dataType: init.dataType, dims: init.dims, rawData: bytes });
      }
    }
    const data = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }

    const opsetImports = [{ domain: "", version: OPSET }];
    if (this.usesMsDomain.value) opsetImports.push({ domain: MS_DOMAIN, version: 1 });
    const model = encodeModel({
      irVersion: IR_VERSION,
      opsetImports,
      producerName: "@ldtext/export",
      producerVersion: "0.1.0",
      docString: opts.docString,
      graph: { name: this.name, nodes, initializers: tensors, inputs: this.inputs, outputs: this.outputs },
      metadata: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
    return { model, data };
  }
}
