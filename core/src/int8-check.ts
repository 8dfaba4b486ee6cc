// The int8 denoiser's load-time parity check (docs/MODEL-SPEC.md "int8 parity check"): a few fixed
// denoiser inputs shipped in the artifact with the fp32 graph's outputs on them. A server runs its
// int8 graph on the inputs on its own CPU and serves int8 only when every row's error is within
// `relativeBound` of that row's max |x̂0| — int8 kernels differ between CPUs (AVX2, AVX-512 VNNI,
// AMX), so the export machine's verdict does not carry over by itself.
import { z } from "zod";

/** A float32 tensor as base64 little-endian bytes. */
const WireTensorSchema = z.object({
  shape: z.array(z.number().int().nonnegative()),
  data: z.string(),
});

export const Int8CheckSchema = z.object({
  kind: z.literal("int8-parity-check"),
  version: z.literal(1),
  /** Max |int8 − fp32| per row must be ≤ relativeBound · max |fp32| of that row. */
  relativeBound: z.number().gt(0).lt(1),
  /** Denoiser inputs (x_t, x_sc, t, and cond, cond_mask for summarize models). */
  inputs: z.record(z.string(), WireTensorSchema),
  /** The fp32 graph's x0_hat on the inputs. */
  expected: WireTensorSchema,
  /** Where the file was made: CPU model and int8 flags, and the worst row's relative error there. */
  madeOn: z.object({ cpu: z.string(), flags: z.array(z.string()), relErr: z.number().nonnegative() }),
});
export type Int8Check = z.infer<typeof Int8CheckSchema>;

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeTensor(t: FloatTensor): z.infer<typeof WireTensorSchema> {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new RangeError(`shape [${t.shape}] holds ${n} values, data has ${t.data.length}`);
  return { shape: [...t.shape], data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("base64") };
}

export function decodeTensor(w: z.infer<typeof WireTensorSchema>): FloatTensor {
  const bytes = Buffer.from(w.data, "base64");
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== 4 * n) throw new RangeError(`tensor [${w.shape}] needs ${4 * n} bytes, has ${bytes.length}`);
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(bytes);
  return { shape: w.shape, data };
}

export function parseInt8Check(json: unknown): Int8Check {
  return Int8CheckSchema.parse(json);
}

export interface Int8CheckResult {
  ok: boolean;
  /** Worst row: max |int8 − fp32| / max |fp32|. */
  relErr: number;
  bound: number;
  /** Per row (one row per t in the shipped files). */
  rows: number[];
}

/** Compares `got` (the int8 graph's x0_hat on check.inputs) with the shipped fp32 outputs, row by row. */
export function compareInt8Check(check: Int8Check, got: Float32Array): Int8CheckResult {
  const want = decodeTensor(check.expected);
  if (got.length !== want.data.length) throw new RangeError(`x0_hat has ${got.length} values, the check expects ${want.data.length}`);
  const rows = want.shape[0];
  const per = want.data.length / rows;
  const rel: number[] = [];
  for (let r = 0; r < rows; r++) {
    let err = 0;
    let ref = 0;
    for (let i = r * per; i < (r + 1) * per; i++) {
      const d = Math.abs(got[i] - want.data[i]);
      err = Number.isNaN(d) ? Infinity : Math.max(err, d);
      ref = Math.max(ref, Math.abs(want.data[i]));
    }
    rel.push(ref > 0 ? err / ref : err);
  }
  const relErr = Math.max(...rel);
  return { ok: relErr <= check.relativeBound, relErr, bound: check.relativeBound, rows: rel };
}
