// The fixed-SNR probe (core/snr-probe.ts) on a shipped artifact through ONNX Runtime: encode real
// texts with the artifact's encoder graph, noise them to each probe SNR, denoise once and once more
// self-conditioned, decode, and count the tokens that come back. The same probe runs in every
// training validation on the TF.js networks (training/src/train/snr-probe.ts, same ε), so an
// artifact's numbers continue its training curves. Needs the encoder graph; generate models only
// (a summarizer's probe would also need its documents, and is measured by ROUGE instead).
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { CompactTokenizer, PROBE_ROW_BASE, PROBE_SNRS, type SnrProbe, gaussianNoise, makeSchedule, modelShape, readArtifact, tAtLogSnr } from "@ldtext/core";
import { createSession, denoiserFeeds } from "@ldtext/core/onnx";

export interface ProbeArtifactOptions {
  artifactDir: string;
  texts: readonly string[];
  snrs?: readonly number[];
  seed?: number;
  batchSize?: number;
  threads?: number;
}

export async function probeArtifactSnr(o: ProbeArtifactOptions): Promise<SnrProbe[]> {
  const m = await readArtifact(o.artifactDir);
  if (m.task !== "generate") throw new Error(`${o.artifactDir}: the fixed-SNR probe runs on generate models (this one is ${m.task})`);
  for (const role of ["encoder", "denoiser", "decoder"] as const) {
    if (!m.graphs[role]) throw new Error(`${o.artifactDir}: no ${role} graph — the fixed-SNR probe encodes real texts (export with --graphs encoder,denoiser,decoder)`);
  }
  const open = (role: "encoder" | "denoiser" | "decoder") => createSession(join(o.artifactDir, m.graphs[role]!.file), { threads: o.threads ?? 1 });
  const shape = modelShape(m.config);
  const [enc, dif, dec] = [await open("encoder"), await open("denoiser"), await open("decoder")];
  const tok = CompactTokenizer.fromJSON(m.vocabulary);
  const schedule = makeSchedule(m.config.schedule);
  const snrs = o.snrs ?? PROBE_SNRS;
  const L = m.config.maxLen;
  const d = m.config.latentDim;
  const batch = o.batchSize ?? 32;
  const seed = o.seed ?? 3;
  const acc = snrs.map(() => ({ se: 0, n: 0, hit: 0, hitSc: 0, counted: 0 }));
  try {
    for (let start = 0; start < o.texts.length; start += batch) {
      const rows = o.texts.slice(start, start + batch);
      const b = rows.length;
      const ids = new Int32Array(b * L);
      rows.forEach((text, i) => ids.set(tok.encodeToLength(text, L), i * L));
      const x0 = (await enc.run({ tokens: new ort.Tensor("int64", BigInt64Array.from(ids, (x) => BigInt(x)), [b, L]) })).x0.data as Float32Array;
      const eps = gaussianNoise(seed, 0, PROBE_ROW_BASE + start, b * L * d);
      for (let k = 0; k < snrs.length; k++) {
        const t = tAtLogSnr(schedule, Math.log(snrs[k]));
        const [al, si] = [schedule.alpha(t), schedule.sigma(t)];
        const xt = Float32Array.from(x0, (x, i) => al * x + si * eps[i]);
        const tt = new Float32Array(b).fill(t);
        const x1 = (await dif.run(denoiserFeeds({ rows: b, x: xt, xsc: new Float32Array(xt.length), t: tt }, shape))).x0_hat.data as Float32Array;
        const x2 = (await dif.run(denoiserFeeds({ rows: b, x: xt, xsc: x1, t: tt }, shape))).x0_hat.data as Float32Array;
        const p1 = (await dec.run({ latents: new ort.Tensor("float32", x1, [b, L, d]) })).ids.data as BigInt64Array;
        const p2 = (await dec.run({ latents: new ort.Tensor("float32", x2, [b, L, d]) })).ids.data as BigInt64Array;
        const a = acc[k];
        for (let i = 0; i < x1.length; i++) a.se += (x1[i] - x0[i]) ** 2;
        a.n += x1.length;
        for (let i = 0; i < ids.length; i++) {
          if (ids[i] === 0) continue;
          a.counted++;
          if (Number(p1[i]) === ids[i]) a.hit++;
          if (Number(p2[i]) === ids[i]) a.hitSc++;
        }
      }
    }
  } finally {
    tok.free();
    await Promise.all([enc.release(), dif.release(), dec.release()]);
  }
  return snrs.map((snr, k) => {
    const a = acc[k];
    return { snr, t: tAtLogSnr(schedule, Math.log(snr)), dif: a.se / Math.max(1, a.n), acc: a.hit / Math.max(1, a.counted), accSc: a.hitSc / Math.max(1, a.counted) };
  });
}
