// Reads the initializers back out of an ONNX file this project wrote (inline raw_data or external
// data), so the verifier can rebuild the weight map of an artifact and run the reference forward on
// exactly the weights the graphs hold, and training can continue from a shipped artifact
// (`--init-from models/<id>/<version>`). In core because both export and training read it. Hand-written protobuf *decoder* for the same reason as proto.ts: only a
// few fields of ModelProto → GraphProto → TensorProto are needed; unknown fields are skipped.
import { readFileSync } from "node:fs";
import { dirname, join, normalize, isAbsolute } from "node:path";

/** TensorProto.DataType codes of the float storages read here. */
const FLOAT = 1;
const FLOAT16 = 10;

/** IEEE 754 half-precision bits → number. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export interface ReadTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Raw little-endian bytes. */
  bytes: Uint8Array;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error("truncated varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }
  /** Reads a field header; returns [field, wireType]. */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t % 8];
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error("truncated length-delimited field");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = new TextDecoder();

function fields(buf: Uint8Array, onField: (field: number, wire: number, r: Reader) => boolean): void {
  const r = new Reader(buf);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (!onField(field, wire, r)) r.skip(wire);
  }
}

function parseTensor(buf: Uint8Array, baseDir: string): ReadTensor {
  const t: ReadTensor = { name: "", dataType: 0, dims: [], bytes: new Uint8Array(0) };
  const ext: Record<string, string> = {};
  let floatData: number[] | null = null;
  fields(buf, (field, wire, r) => {
    if (field === 1 && wire === 0) t.dims.push(r.varint());
    else if (field === 1 && wire === 2) {
      const p = new Reader(r.bytes());
      while (!p.done) t.dims.push(p.varint());
    } else if (field === 2) t.dataType = r.varint();
    else if (field === 8) t.name = text.decode(r.bytes());
    else if (field === 9) t.bytes = r.bytes();
    else if (field === 4 && wire === 2) {
      const b = r.bytes();
      floatData = Array.from(new Float32Array(new Uint8Array(b).buffer));
    } else if (field === 13) {
      let key = "";
      let value = "";
      fields(r.bytes(), (f, _w, e) => {
        if (f === 1) key = text.decode(e.bytes());
        else if (f === 2) value = text.decode(e.bytes());
        else return false;
        return true;
      });
      ext[key] = value;
    } else return false;
    return true;
  });
  if (ext.location !== undefined) {
    if (isAbsolute(ext.location) || normalize(ext.location).startsWith("..")) throw new Error(`external data location ${ext.location} leaves the model folder`);
    const file = readFileSync(join(baseDir, ext.location));
    const offset = Number(ext.offset ?? 0);
    const length = ext.length !== undefined ? Number(ext.length) : file.length - offset;
    if (offset + length > file.length) throw new Error(`external data of ${t.name} lies beyond the end of ${ext.location}`);
    t.bytes = new Uint8Array(file.buffer, file.byteOffset + offset, length);
  } else if (floatData) {
    t.bytes = new Uint8Array(Float32Array.from(floatData).buffer);
  }
  return t;
}

/** All initializers of an ONNX model file (external data resolved beside it). */
export function readInitializers(modelPath: string): ReadTensor[] {
  const model = readFileSync(modelPath);
  const out: ReadTensor[] = [];
  fields(model, (field, _w, r) => {
    if (field !== 7) return false;
    fields(r.bytes(), (gf, _gw, gr) => {
      if (gf !== 5) return false;
      out.push(parseTensor(gr.bytes(), dirname(modelPath)));
      return true;
    });
    return true;
  });
  return out;
}

/** A float initializer (float32 or float16 storage) as float32 values. */
export function tensorAsFloat32(t: ReadTensor): Float32Array | null {
  const aligned = new Uint8Array(t.bytes); // a copy: the source may be unaligned (and Buffer#slice does not copy)
  if (t.dataType === FLOAT) return new Float32Array(aligned.buffer, 0, aligned.length / 4);
  if (t.dataType === FLOAT16) {
    const h = new Uint16Array(aligned.buffer, 0, aligned.length / 2);
    return Float32Array.from(h, fromHalfBits);
  }
  return null;
}
