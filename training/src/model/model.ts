// The jointly trained model: networks + their weights as TF.js variables (core's weight inventory,
// names and shapes per MODEL-SPEC) + the normalization state. Variables get a per-instance suffix because TF.js registers variable
// names globally and tests build several models in one process; `byName` maps spec names back.
import * as tf from "@tensorflow/tfjs";
import type { FloatWeights, ModelConfig, NetworkName, WeightShapes } from "@ldtext/core";
import { gaussianNoise, networkOf, weightShapes } from "@ldtext/core";
import type { Weights } from "./layers.ts";
import { type Networks, createNetworks } from "./networks.ts";
import { Normalizer } from "./normalize.ts";


const STD = 0.02;

/**
 * Initial value of one weight (GPT-2 style): norm gains 1, biases 0, output projections of residual
 * branches (attn.wo, cross.wo, mlp.w2) N(0, 0.02/√(2·layers)), everything else N(0, 0.02). Noise is
 * core's counter-based Gaussian keyed by (seed, weight index), so it does not depend on the backend.
 */
function initialValue(name: string, shape: number[], index: number, seed: number, layers: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith("_norm")) return new Float32Array(size).fill(1);
  if (/\.b\d?$/.test(name)) return new Float32Array(size);
  // Per-block time projections start at zero: the denoiser first computes what an "input" one does.
  if (/\.blocks\.\d+\.time\.w$/.test(name)) return new Float32Array(size);
  const std = /\.(wo|w2)$/.test(name) ? STD / Math.sqrt(2 * Math.max(1, layers)) : STD;
  const out = gaussianNoise(seed, 0, index, size);
  for (let i = 0; i < size; i++) out[i] *= std;
  return out;
}

/** Initial weights of `cfg`: weight i of core's inventory (its order) draws noise stream i. */
export function initWeights(cfg: ModelConfig, seed: number): FloatWeights {
  const out: FloatWeights = new Map();
  let i = 0;
  for (const [name, shape] of weightShapes(cfg)) {
    const net = networkOf(name);
    // A `cond.*` weight exists only in a summarizer's inventory.
    const layers = net === "cond" ? (cfg.task === "summarize" ? cfg.condEnc.layers : 0) : net === "ard" ? (cfg.arDec?.layers ?? 0) : cfg[net].layers;
    out.set(name, { shape, data: initialValue(name, shape, i++, seed, layers) });
  }
  return out;
}

let instanceCounter = 0;

export class LatentDiffusionModel {
  readonly nets: Networks;
  /** core's weight inventory of `cfg`: the variables, in this order. */
  readonly shapes: WeightShapes;
  readonly names: string[];
  /** Spec name → variable. */
  readonly vars = new Map<string, tf.Variable>();
  /** Variable name (unique in the engine) → spec name. */
  readonly byVarName = new Map<string, string>();
  readonly norm: Normalizer;

  constructor(readonly cfg: ModelConfig, weights: FloatWeights) {
    this.nets = createNetworks(cfg);
    this.shapes = weightShapes(cfg);
    this.names = [...this.shapes.keys()];
    const id = ++instanceCounter;
    for (const [name, shape] of this.shapes) {
      const wt = weights.get(name);
      if (!wt) throw new Error(`weights lack "${name}"`);
      if (wt.shape.join(",") !== shape.join(",")) throw new Error(`weight "${name}" has shape [${wt.shape}], the config needs [${shape}]`);
      const v = tf.variable(tf.tensor(wt.data, shape), true, `${name}#${id}`);
      this.vars.set(name, v);
      this.byVarName.set(v.name, name);
    }
    this.norm = new Normalizer(cfg.norm, cfg.latentDim, cfg.normAlpha);
  }

  static create(cfg: ModelConfig, seed: number): LatentDiffusionModel {
    return new LatentDiffusionModel(cfg, initWeights(cfg, seed));
  }

  /** The live weights (variables) as a name → tensor record. */
  weights(): Weights {
    return Object.fromEntries(this.vars);
  }

  namesOf(...nets: NetworkName[]): string[] {
    return this.names.filter((n) => nets.includes(networkOf(n)));
  }

  variablesOf(...nets: NetworkName[]): tf.Variable[] {
    return this.namesOf(...nets).map((n) => this.vars.get(n)!);
  }

  parameterCount(net?: NetworkName): number {
    return this.names.filter((n) => !net || networkOf(n) === net).reduce((a, n) => a + this.vars.get(n)!.size, 0);
  }

  /** Copies of the current weights (Float32Arrays). */
  snapshot(): FloatWeights {
    const out: FloatWeights = new Map();
    for (const name of this.names) {
      const v = this.vars.get(name)!;
      out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
    }
    return out;
  }

  /** Overwrite weights with `assign` (new tensors, so backends that cache packed weights see the change). */
  load(weights: FloatWeights): void {
    for (const name of this.names) {
      const wt = weights.get(name);
      if (!wt) throw new Error(`weights lack "${name}"`);
      tf.tidy(() => this.vars.get(name)!.assign(tf.tensor(wt.data, this.shapes.get(name))));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
