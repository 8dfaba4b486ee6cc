// Requests → scheduler jobs → texts: picks the model for the task, applies the document policy,
// seeds, response and condition caches, and timings. Refusals are thrown synchronously (before any
// work starts), so streaming routes can still answer them with a status code.
import { createHash, randomInt } from "node:crypto";
import { LRUCache } from "lru-cache";
import { DOCUMENT_POLICY, clampable, condMaxLenOf, documentHead, mbrSelect, servedCandidates, servedClamp, servedGuidance } from "@ldtext/core";
import type { ServerSettings } from "../settings/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { ModelRegistry } from "../registry/registry.ts";
import type { LoadedModel } from "../registry/loaded-model.ts";
import type { ConditionEncoding, JobResult, JobSpec } from "@ldtext/core";
import type { CallOptions, GenerateParams, GenerateResult, InferenceApi, ModelInfo, ReadyState, ReloadReport, SummarizeParams, SummarizeResult } from "./types.ts";
import { NotReadyError, RequestError } from "./types.ts";


export function createConditionCache(size: number): LRUCache<string, ConditionEncoding> | undefined {
  return size > 0 ? new LRUCache<string, ConditionEncoding>({ max: size }) : undefined;
}

export class InferenceService implements InferenceApi {
  private readonly responses: LRUCache<string, GenerateResult | SummarizeResult> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly settings: ServerSettings,
    private readonly metrics: Metrics,
  ) {
    this.responses = settings.RESPONSE_CACHE_SIZE > 0 ? new LRUCache({ max: settings.RESPONSE_CACHE_SIZE }) : undefined;
  }

  private pick(task: "generate" | "summarize", id?: string): LoadedModel {
    const m = this.registry.pick(task, id);
    if (m) return m;
    if (!this.registry.loaded) throw new NotReadyError("models are still loading");
    if (id !== undefined) throw new RequestError(`model: no ${task} model with id "${id}"`, 404, "model");
    const configured = this.settings.DEFAULT_MODELS[task];
    if (configured !== undefined && this.registry.models.some((x) => x.manifest.task === task)) {
      throw new NotReadyError(`the default ${task} model "${configured}" (DEFAULT_MODELS) is not loaded; name a model`);
    }
    throw new NotReadyError(`no ${task} model is loaded`);
  }

  /** A request's clamping threshold (else the model's default); 422 when the model cannot clamp. */
  private clampOf(m: LoadedModel, requested: number | undefined): number {
    const clamp = requested ?? servedClamp(m.manifest);
    if (clamp > 0 && !clampable(m.manifest)) throw new RequestError(`clamp: ${m.label} ships no encoder graph, so it cannot clamp latents (use 0, or a model whose /models entry says clampable)`, 422, "clamp");
    return clamp;
  }

  /**
   * Candidates per returned summary. An explicit value must keep n × candidates within MAX_N (the
   * per-request sample bound); the model's default is lowered to fit instead, so a request that was
   * valid without candidates stays valid. The response reports the value used.
   */
  private candidatesOf(m: LoadedModel, n: number, requested: number | undefined): number {
    const max = this.settings.MAX_N;
    if (requested !== undefined) {
      if (n * requested > max) throw new RequestError(`candidates: n × candidates = ${n * requested} is above the server's ${max} samples per request (MAX_N)`, 422, "candidates");
      return requested;
    }
    return Math.max(1, Math.min(servedCandidates(m.manifest), Math.floor(max / n)));
  }

  private maxLength(m: LoadedModel, requested: number | undefined, field: string): number {
    const L = m.manifest.config.maxLen;
    if (requested === undefined) return L;
    if (requested > L) throw new RequestError(`${field}: ${requested} is above the model's maximum length ${L}`, 422, field);
    return requested;
  }

  private cached<R extends GenerateResult>(key: string | null): R | null {
    if (key === null || !this.responses) return null;
    const hit = this.responses.get(key) as R | undefined;
    this.metrics.cache("response", hit !== undefined);
    return hit ? { ...hit, cached: true, timings: { queueMs: 0, inferenceMs: 0, totalMs: 0 } } : null;
  }

  private run(m: LoadedModel, spec: Omit<JobSpec, "deadline" | "signal" | "onProgress" | "progressEvery">, o: CallOptions, length: number): Promise<JobResult> {
    const tok = m.tokenizer;
    const texts = (ids: Int32Array[]) => ids.map((row) => tok.decodeSample(row.subarray(0, length)));
    return m.scheduler.submit({
      ...spec,
      deadline: performance.now() + this.settings.REQUEST_DEADLINE_MS,
      signal: o.signal,
      progressEvery: o.onStep ? (o.every ?? this.settings.STREAM_EVERY) : undefined,
      onProgress: o.onStep ? (step, ids) => o.onStep!(step, texts(ids)) : undefined,
    });
  }

  generate(p: GenerateParams, o: CallOptions): Promise<GenerateResult> {
    const start = performance.now();
    const m = this.pick("generate", p.model);
    const length = this.maxLength(m, p.length, "length");
    const seed = p.seed ?? randomInt(0, 2 ** 47);
    const clamp = this.clampOf(m, p.clamp);
    const key = p.seed !== undefined && !o.onStep ? JSON.stringify(["generate", m.label, p.n, p.steps, p.sampler, seed, length, clamp]) : null;
    const hit = this.cached<GenerateResult>(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.run(m, { id: o.requestId, n: p.n, steps: p.steps, sampler: p.sampler, seed, guidance: 0, clamp }, o, length);
    return pending.then((r) => {
      const res: GenerateResult = {
        texts: r.ids.map((row) => m.tokenizer.decodeSample(row.subarray(0, length))),
        seed,
        steps: p.steps,
        sampler: p.sampler,
        length,
        clamp,
        model: { id: m.id, version: m.version },
        timings: { queueMs: r.queueMs, inferenceMs: r.inferenceMs, totalMs: performance.now() - start },
        cached: false,
      };
      if (key !== null) this.responses?.set(key, res);
      return res;
    });
  }

  summarize(p: SummarizeParams, o: CallOptions): Promise<SummarizeResult> {
    const start = performance.now();
    const m = this.pick("summarize", p.model);
    const length = this.maxLength(m, p.maxLength, "maxLength");
    const S = condMaxLenOf(m.manifest.config);
    // Document policy (core's documentHead): the head S tokens, shared with offline sampling.
    const { tokens, truncated } = documentHead(m.tokenizer, p.document, S);
    if (tokens.length === 0) throw new RequestError("document: has no tokens", 422, "document");
    const document = { tokens: tokens.length, truncated, policy: DOCUMENT_POLICY };
    const seed = p.seed ?? randomInt(0, 2 ** 47);
    const guidance = p.guidance ?? servedGuidance(m.manifest);
    const clamp = this.clampOf(m, p.clamp);
    const candidates = this.candidatesOf(m, p.n, p.candidates);
    const docHash = createHash("sha256").update(new Uint8Array(tokens.buffer)).digest("hex");
    const key = p.seed !== undefined && !o.onStep ? JSON.stringify(["summarize", m.label, docHash, p.n, p.steps, p.sampler, seed, guidance, length, clamp, candidates]) : null;
    const hit = this.cached<SummarizeResult>(key);
    if (hit) return Promise.resolve(hit);
    // Summary i is chosen among samples i·k … i·k + k − 1 of the seed (k = 1: sample i, as before).
    // Streaming shows each summary's first candidate while it denoises.
    const k = candidates;
    const firstCandidates = k === 1 ? o : { ...o, onStep: o.onStep ? (step: number, texts: string[]) => o.onStep!(step, texts.filter((_, r) => r % k === 0)) : undefined };
    const pending = this.run(
      m,
      { id: o.requestId, n: p.n * k, steps: p.steps, sampler: p.sampler, seed, guidance, clamp, condition: { key: `${m.label}:${docHash}`, tokens } },
      firstCandidates,
      length,
    );
    return pending.then((r) => {
      const all = r.ids.map((row) => m.tokenizer.decodeSample(row.subarray(0, length)));
      const texts = Array.from({ length: p.n }, (_, i) => {
        const group = all.slice(i * k, (i + 1) * k);
        return group[mbrSelect(group).index];
      });
      const res: SummarizeResult = {
        texts,
        seed,
        steps: p.steps,
        sampler: p.sampler,
        length,
        clamp,
        guidance,
        candidates,
        document,
        model: { id: m.id, version: m.version },
        timings: { queueMs: r.queueMs, inferenceMs: r.inferenceMs, totalMs: performance.now() - start },
        cached: false,
      };
      if (key !== null) this.responses?.set(key, res);
      return res;
    });
  }

  models(): ModelInfo[] {
    const defaults = new Set((["generate", "summarize"] as const).map((t) => this.registry.defaultFor(t)));
    return this.registry.models.map((m) => ({
      id: m.id,
      version: m.version,
      task: m.manifest.task,
      maxLength: m.manifest.config.maxLen,
      documentLength: m.manifest.config.task === "summarize" ? m.manifest.config.condMaxLen : null,
      executionProvider: m.ep,
      denoiser: m.denoiser.served,
      denoiserReason: m.denoiser.reason,
      decoder: m.decoder,
      workers: this.settings.WORKERS,
      loadedAt: m.loadedAt,
      default: defaults.has(m),
      defaultGuidance: m.manifest.task === "summarize" ? servedGuidance(m.manifest) : null,
      defaultCandidates: m.manifest.task === "summarize" ? servedCandidates(m.manifest) : null,
      defaultClamp: servedClamp(m.manifest),
      clampable: clampable(m.manifest),
    }));
  }

  readiness(): ReadyState {
    const models = this.registry.models.map((m) => ({ id: m.id, version: m.version, executionProvider: m.ep }));
    if (!this.registry.loaded) return { ready: false, reason: "loading models", models };
    if (models.length === 0) return { ready: false, reason: "no model could be loaded (the reasons: GET /models lastReload, or the server log)", models };
    const broken = this.registry.models.filter((m) => !m.healthy).map((m) => m.label);
    if (broken.length > 0) return { ready: false, reason: `engine worker died, reloading: ${broken.join(", ")}`, models };
    return { ready: true, models };
  }

  reload(): Promise<ReloadReport> {
    return this.registry.reload();
  }

  lastReload() {
    return this.registry.lastReload();
  }
}
