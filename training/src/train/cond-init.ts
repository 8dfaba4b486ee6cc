// `--cond-from encoder`: the condition encoder starts as a copy of the text encoder's trunk (token
// embedding, blocks, final norm; not its latent projection), so the denoiser's cross-attention reads
// document features that already mean something instead of a random network's. Trained from scratch
// beside a few thousand pairs, CondEnc never learned to say anything the denoiser could use (the
// shipped 1.0.0 summarizer ignores its document); the latent-diffusion summarizers this follows
// condition on a pretrained encoder (LD4LG: a frozen BART encoder; TEncDM: the text encoder).
import type { FloatWeights, ModelConfig, SummarizeModelConfig } from "@ldtext/core";

/** The condition encoder's config when it copies the text encoder: the same network. */
export function condConfigFromEncoder(cfg: SummarizeModelConfig): SummarizeModelConfig {
  return { ...cfg, condEnc: { ...cfg.enc } };
}

/** `weights` with every `cond.*` trunk weight replaced by its `enc.*` twin (`cond.null` kept). */
export function copyEncoderIntoCondition(weights: FloatWeights, cfg: ModelConfig): { weights: FloatWeights; copied: number } {
  if (cfg.task !== "summarize") throw new Error("--cond-from encoder needs a summarize model (a condition encoder)");
  const c = cfg.condEnc;
  if (c.dModel !== cfg.enc.dModel || c.layers !== cfg.enc.layers || c.ffn !== cfg.enc.ffn || c.heads !== cfg.enc.heads) {
    throw new Error(`--cond-from encoder needs CondEnc shaped like Enc (CondEnc ${JSON.stringify(c)}, Enc ${JSON.stringify(cfg.enc)})`);
  }
  const out: FloatWeights = new Map(weights);
  let copied = 0;
  for (const [name, wt] of weights) {
    if (!name.startsWith("cond.") || name === "cond.null") continue;
    const src = weights.get(`enc.${name.slice("cond.".length)}`);
    if (!src) throw new Error(`--cond-from encoder: no encoder weight for ${name}`);
    if (src.shape.join(",") !== wt.shape.join(",")) throw new Error(`--cond-from encoder: ${name} [${wt.shape}] vs encoder [${src.shape}]`);
    out.set(name, { shape: [...src.shape], data: Float32Array.from(src.data) });
    copied++;
  }
  return { weights: out, copied };
}
