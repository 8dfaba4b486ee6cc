// Request/response schemas (zod v4 + OpenAPI metadata). Limits that depend on configuration are
// baked in by `makeSchemas`, so the OpenAPI document states the server's real bounds.
import { z } from "@hono/zod-openapi";
import { MAX_CANDIDATES } from "@ldtext/core";

/** Seeds are integers 0..2^53−1 (core's counter-based RNG keys on both 32-bit halves). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export interface Limits {
  maxN: number;
  maxSteps: number;
  defaultSteps: number;
}

export function makeSchemas(lim: Limits) {
  const sampler = z.enum(["ddim", "sde", "ode"]).default("ddim").openapi({ description: "DDIM, Euler–Maruyama on the reverse SDE, or the probability-flow ODE" });
  const steps = z.number().int().min(1).max(lim.maxSteps).default(lim.defaultSteps).openapi({ description: "Denoising steps" });
  const n = z.number().int().min(1).max(lim.maxN).default(1).openapi({ description: "Number of samples" });
  const seed = z.number().int().min(0).max(MAX_SEED).optional().openapi({ description: "Random seed (echoed back); same seed and parameters give the same text" });
  const clamp = z.number().min(0).max(1).optional().openapi({
    description:
      "Latent clamping: at denoising steps with t ≤ clamp, the predicted latent is replaced by the encoding of the text it decodes to (fewer invented words; costs an encoder and a decoder call per such step). 0 = off. Default: the model's evaluated default (`defaultClamp` in /models); needs a model with `clampable: true`",
  });
  const model = z.string().min(1).max(200).optional().openapi({ description: "Model id (default: the first model serving the task)" });

  const GenerateRequest = z
    .object({
      n,
      steps,
      sampler,
      seed,
      length: z.number().int().min(1).max(100_000).optional().openapi({ description: "Maximum tokens per text (≤ the model's maximum length)" }),
      clamp,
      model,
    })
    .strict()
    .openapi("GenerateRequest");

  const SummarizeRequest = z
    .object({
      document: z.string().min(1, "document must not be empty").openapi({ description: "Text to summarize; long documents keep their head (see `document.policy` in the response)" }),
      n,
      steps,
      sampler,
      seed,
      guidance: z.number().min(0).max(100).optional().openapi({ description: "Classifier-free guidance weight (0 = off; > 0 doubles the denoiser rows). Default: the model's evaluated default (`sampling.guidance` in its manifest, shown in /models), else 0" }),
      candidates: z.number().int().min(1).max(MAX_CANDIDATES).optional().openapi({
        description:
          "Summaries sampled per returned one (seeds' noise rows i·k … i·k + k − 1); the returned one is the minimum-Bayes-risk choice, the candidate with the highest mean ROUGE-L to the others. Costs k × the denoiser rows; n × candidates must stay within the server's samples per request. Default: the model's evaluated default (`defaultCandidates` in /models, lowered to fit), else 1",
      }),
      maxLength: z.number().int().min(1).max(100_000).optional().openapi({ description: "Maximum tokens of the summary (≤ the model's maximum length)" }),
      clamp,
      model,
    })
    .strict()
    .openapi("SummarizeRequest");

  const Timings = z.object({ queueMs: z.number(), inferenceMs: z.number(), totalMs: z.number() }).openapi("Timings");
  const ModelRef = z.object({ id: z.string(), version: z.string() }).openapi("ModelRef");
  const generateFields = {
    id: z.string().openapi({ description: "Request id (X-Request-Id)" }),
    texts: z.array(z.string()),
    seed: z.number().int(),
    steps: z.number().int(),
    sampler: z.enum(["ddim", "sde", "ode"]),
    length: z.number().int(),
    clamp: z.number().openapi({ description: "The latent clamping threshold the samples used (0 = off)" }),
    model: ModelRef,
    timings: Timings,
    cached: z.boolean().openapi({ description: "Served from the response cache (identical seeded request)" }),
  };
  const GenerateResponse = z.object(generateFields).openapi("GenerateResponse");
  const SummarizeResponse = z
    .object({
      ...generateFields,
      guidance: z.number(),
      candidates: z.number().int().openapi({ description: "Samples each summary was chosen among (1 = no selection)" }),
      document: z.object({ tokens: z.number().int(), truncated: z.boolean(), policy: z.string() }).openapi("DocumentReport"),
    })
    .openapi("SummarizeResponse");

  const ErrorResponse = z
    .object({
      error: z.object({
        code: z.string(),
        message: z.string(),
        requestId: z.string().optional(),
        fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    })
    .openapi("Error");

  const ModelInfo = z
    .object({
      id: z.string(),
      version: z.string(),
      task: z.enum(["generate", "summarize"]),
      maxLength: z.number().int(),
      documentLength: z.number().int().nullable(),
      executionProvider: z.string(),
      denoiser: z.string(),
      denoiserReason: z.string(),
      decoder: z.enum(["ar", "nar"]).openapi({ description: "How the final latents become tokens: `ar` = the autoregressive decoder ArDec, greedy (artifacts with its graphs: the KV-cached ar_memory + ar_step, or an older ar_decoder; DECODER=auto|ar), `nar` = the one-call decoder Dec" }),
      workers: z.number().int(),
      loadedAt: z.string(),
      default: z.boolean().openapi({ description: "Requests of this task that name no model are answered by this one" }),
      defaultGuidance: z.number().nullable().openapi({ description: "Summarizers: the guidance weight used when a request gives none (chosen by evaluation); null for generators" }),
      defaultCandidates: z.number().int().nullable().openapi({ description: "Summarizers: candidates per summary when a request gives none (chosen by evaluation; 1 = no selection); null for generators" }),
      defaultClamp: z.number().openapi({ description: "The latent clamping threshold used when a request gives none (chosen by evaluation; 0 = off)" }),
      clampable: z.boolean().openapi({ description: "Whether requests may ask for latent clamping (the model ships its encoder)" }),
    })
    .openapi("ModelInfo");
  const ModelsResponse = z.object({ models: z.array(ModelInfo), lastReload: z.unknown().optional() }).openapi("ModelsResponse");
  const ReadyResponse = z
    .object({
      ready: z.boolean(),
      reason: z.string().optional(),
      models: z.array(z.object({ id: z.string(), version: z.string(), executionProvider: z.string() })),
    })
    .openapi("Readiness");
  const ReloadResponse = z
    .object({
      loaded: z.array(ModelRef),
      unchanged: z.array(ModelRef),
      failed: z.array(z.object({ dir: z.string().describe("Folder relative to MODELS_DIR"), error: z.string() })),
    })
    .openapi("ReloadReport");

  return { GenerateRequest, SummarizeRequest, GenerateResponse, SummarizeResponse, ErrorResponse, ModelsResponse, ReadyResponse, ReloadResponse };
}
export type Schemas = ReturnType<typeof makeSchemas>;
