// The playground page's script (bundled by ../build.ts into the server's
// server/src/playground/static/playground.min.js): a form over the SDK's streaming calls, a live view
// of the denoising (each `step` event's decoded text), and the timings of the finished request.
import { ApiError, DiffusionTextClient } from "@ldtext/sdk";
import type { GenerateResponse, StepEvent, StreamEvent, SummarizeResponse } from "@ldtext/sdk";
import { visible } from "./visible.ts";

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: #${id} missing`);
  return el as T;
};

const form = $<HTMLFormElement>("form");
const steps = $<HTMLInputElement>("steps");
const stepsValue = $<HTMLOutputElement>("steps-value");
const seed = $<HTMLInputElement>("seed");
const sampler = $<HTMLSelectElement>("sampler");
const n = $<HTMLInputElement>("n");
const guidance = $<HTMLInputElement>("guidance");
const guidanceValue = $<HTMLOutputElement>("guidance-value");
const clamp = $<HTMLInputElement>("clamp");
const clampValue = $<HTMLOutputElement>("clamp-value");
const doc = $<HTMLTextAreaElement>("document");
const apiKey = $<HTMLInputElement>("api-key");
const run = $<HTMLButtonElement>("run");
const stop = $<HTMLButtonElement>("stop");
const status = $<HTMLParagraphElement>("status");
const output = $<HTMLDivElement>("output");
const progressBar = $<HTMLDivElement>("progress-bar");
const timings = $<HTMLTableElement>("timings");
const stepsLog = $<HTMLOListElement>("steps-log");

const baseUrl = window.location.origin;
let running: AbortController | null = null;
/** Each task's default model's evaluated clamping (what the server uses when a request gives none). */
const defaultClamp: Partial<Record<"generate" | "summarize", number>> = {};


const task = (): "generate" | "summarize" => ((document.querySelector('input[name="task"]:checked') as HTMLInputElement | null)?.value === "summarize" ? "summarize" : "generate");

function setState(state: "idle" | "running" | "done" | "error", message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  run.disabled = state === "running";
  stop.disabled = state !== "running";
}

function syncTask(): void {
  document.body.classList.toggle("summarize", task() === "summarize");
  run.textContent = task() === "summarize" ? "Summarize" : "Generate";
  // The clamping slider starts at what the server would use for this task without it.
  clampValue.value = clamp.value = String(defaultClamp[task()] ?? 0);
}

function showTexts(texts: string[], final: boolean): void {
  while (output.children.length > texts.length) output.lastElementChild?.remove();
  texts.forEach((t, i) => {
    let el = output.children[i] as HTMLPreElement | undefined;
    if (!el) {
      el = document.createElement("pre");
      el.className = "sample";
      output.append(el);
    }
    el.textContent = visible(t);
    el.classList.toggle("final", final);
  });
}

function logStep(e: StepEvent, elapsedMs: number): void {
  const li = document.createElement("li");
  const meta = document.createElement("span");
  meta.textContent = `step ${e.step}/${e.steps} · ${elapsedMs.toFixed(0)} ms · `;
  li.append(meta, visible(e.texts[0] ?? ""));
  stepsLog.append(li);
  stepsLog.scrollTop = stepsLog.scrollHeight;
}

function showTimings(r: GenerateResponse | SummarizeResponse, client: { firstStepMs: number | null; totalMs: number }): void {
  const rows: [string, string][] = [
    ["model", `${r.model.id}@${r.model.version}`],
    ["seed", String(r.seed)],
    ["sampler · steps", `${r.sampler} · ${r.steps}`],
    ["clamping", r.clamp > 0 ? `t ≤ ${r.clamp}` : "off"],
    ["server queue", `${r.timings.queueMs.toFixed(1)} ms`],
    ["server inference", `${r.timings.inferenceMs.toFixed(1)} ms`],
    ["server total", `${r.timings.totalMs.toFixed(1)} ms${r.cached ? " (cached)" : ""}`],
    ["first step seen", client.firstStepMs === null ? "—" : `${client.firstStepMs.toFixed(0)} ms`],
    ["round trip", `${client.totalMs.toFixed(0)} ms`],
  ];
  if ("document" in r) rows.push(["document", `${r.document.tokens} tokens${r.document.truncated ? ` (truncated: ${r.document.policy})` : ""}`], ["guidance", String(r.guidance)], ["candidates", r.candidates > 1 ? `best of ${r.candidates} (minimum Bayes risk)` : "1"]);
  const body = timings.tBodies[0];
  body.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement("tr");
      tr.dataset.key = k;
      for (const text of [k, v]) tr.append(Object.assign(document.createElement("td"), { textContent: text }));
      return tr;
    }),
  );
  timings.hidden = false;
}

function optionalInt(input: HTMLInputElement): number | undefined {
  return input.value.trim() === "" ? undefined : Number(input.value);
}

async function submit(): Promise<void> {
  const client = new DiffusionTextClient({ baseUrl, apiKey: apiKey.value.trim() || undefined, retries: 2 });
  const common = { steps: Number(steps.value), seed: optionalInt(seed), sampler: sampler.value as "ddim" | "sde" | "ode", n: optionalInt(n), clamp: Number(clamp.value) };
  if (task() === "summarize" && doc.value.trim() === "") {
    setState("error", "Paste a document to summarize.");
    return;
  }
  const events: AsyncIterable<StreamEvent<GenerateResponse | SummarizeResponse>> =
    task() === "summarize" ? client.summarizeStream({ ...common, document: doc.value, guidance: Number(guidance.value) }, { signal: (running = new AbortController()).signal }) : client.generateStream(common, { signal: (running = new AbortController()).signal });

  output.replaceChildren();
  stepsLog.replaceChildren();
  timings.hidden = true;
  progressBar.style.width = "0";
  setState("running", "Waiting for the first denoising steps…");
  const t0 = performance.now();
  let firstStepMs: number | null = null;
  try {
    for await (const e of events) {
      const elapsed = performance.now() - t0;
      if (e.type === "step") {
        firstStepMs ??= elapsed;
        progressBar.style.width = `${(100 * e.step) / e.steps}%`;
        setState("running", `Denoising: step ${e.step} of ${e.steps}`);
        showTexts(e.texts, false);
        logStep(e, elapsed);
      } else {
        progressBar.style.width = "100%";
        showTexts(e.result.texts, true);
        showTimings(e.result, { firstStepMs, totalMs: elapsed });
        seed.placeholder = `random (last: ${e.result.seed})`;
        setState("done", `Done: ${e.result.steps} steps in ${elapsed.toFixed(0)} ms.`);
      }
    }
  } catch (err) {
    if (err instanceof ApiError) setState("error", `${err.status} ${err.code}: ${err.message}${err.requestId ? ` (request ${err.requestId})` : ""}`);
    else if (err instanceof Error && err.name === "AbortError") setState("idle", "Stopped.");
    else setState("error", `Failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    running = null;
  }
}

async function init(): Promise<void> {
  const client = new DiffusionTextClient({ baseUrl, retries: 0, timeoutMs: 5000 });
  const health = $<HTMLSpanElement>("health");
  try {
    const h = await client.health();
    health.textContent = h.ready ? "ready" : `not ready${h.reason ? `: ${h.reason}` : ""}`;
    health.className = `pill ${h.ready ? "ok" : "bad"}`;
    const m = await client.models();
    $<HTMLSpanElement>("models").textContent = m.models.map((x) => `${x.id}@${x.version} (${x.task}, ${x.executionProvider})`).join(" · ");
    // The slider starts at what the server would use without it: the default summarizer's evaluated guidance.
    const g = m.models.find((x) => x.task === "summarize" && x.default)?.defaultGuidance;
    if (typeof g === "number") guidanceValue.value = guidance.value = String(g);
    for (const t of ["generate", "summarize"] as const) {
      const c = m.models.find((x) => x.task === t && x.default)?.defaultClamp;
      if (typeof c === "number") defaultClamp[t] = c;
    }
    syncTask();
  } catch (err) {
    health.textContent = "unreachable";
    health.className = "pill bad";
    status.textContent = err instanceof Error ? err.message : String(err);
  }
  // The server states its step limit in its OpenAPI document; the slider follows it.
  try {
    const spec = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { components?: { schemas?: { GenerateRequest?: { properties?: { steps?: { maximum?: number } } } } } };
    const max = spec.components?.schemas?.GenerateRequest?.properties?.steps?.maximum;
    if (typeof max === "number") steps.max = String(max);
  } catch {
    // Keep the page's default bounds.
  }
  document.body.dataset.state = "idle";
}

steps.addEventListener("input", () => (stepsValue.value = steps.value));
guidance.addEventListener("input", () => (guidanceValue.value = guidance.value));
clamp.addEventListener("input", () => (clampValue.value = clamp.value));
for (const r of document.querySelectorAll('input[name="task"]')) r.addEventListener("change", syncTask);
$<HTMLButtonElement>("seed-random").addEventListener("click", () => (seed.value = String(Math.floor(Math.random() * 2 ** 31))));
stop.addEventListener("click", () => running?.abort());
form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!running) void submit();
});
syncTask();
stepsValue.value = steps.value;
void init();
