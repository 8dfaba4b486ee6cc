// Denoiser inputs for the int8 benchmarks: B rows of random x_t / x_sc, one t per row spread over
// (0, 1), and for a summarizer a full-length condition of S tokens.
import * as ort from "onnxruntime-node";
import type { ModelConfig } from "@ldtext/core";
import { gaussian } from "../src/networks/weights.ts";

export function denoiserFeeds(cfg: ModelConfig, B: number, seed: number, S: number): Record<string, ort.Tensor> {
  const [L, d] = [cfg.maxLen, cfg.latentDim];
  const rnd = gaussian(seed);
  const rand = (n: number, s = 1): Float32Array => Float32Array.from({ length: n }, () => s * rnd());
  const feeds: Record<string, ort.Tensor> = {
    x_t: new ort.Tensor("float32", rand(B * L * d), [B, L, d]),
    x_sc: new ort.Tensor("float32", rand(B * L * d, 0.5), [B, L, d]),
    t: new ort.Tensor("float32", Float32Array.from({ length: B }, (_, i) => (i + 0.5) / B), [B]),
  };
  if (cfg.task === "summarize") {
    feeds.cond = new ort.Tensor("float32", rand(B * S * cfg.condEnc.dModel), [B, S, cfg.condEnc.dModel]);
    feeds.cond_mask = new ort.Tensor("float32", new Float32Array(B * S).fill(1), [B, S]);
  }
  return feeds;
}
