// Every artifact under MODELS_DIR, the newest version per model id. Hot reload (SIGHUP, the admin
// route, or polling for a new version folder): load + verify + warm the new version beside the old,
// switch the pointer (one synchronous assignment, so a request sees either version, never neither),
// let the old version finish what it admitted, then free it. A version that fails keeps the old one.
// Requests that name no model go to the task's default id (`defaultFor`): DEFAULT_MODELS when it
// names one; otherwise the only id serving the task, or, when several do, the one that served the
// task first (sticky while it serves; at start, the id whose earliest version folder is the oldest)
// — never simply the newest arrival, so a new model id cannot take a task over by being installed.
import { readFile, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Task } from "@ldtext/core";
import { LoadedModel } from "./loaded-model.ts";
import type { LoadContext } from "./loaded-model.ts";
import type { ReloadReport } from "../inference/types.ts";
import { publicDir, publicMessage } from "./redact.ts";

export interface Candidate {
  dir: string;
  id: string;
  version: string;
  createdAt: string;
}

/** Artifact folders (holding manifest.json) up to `depth` levels below root; hidden folders (atomic-write temporaries) skipped. */
export async function findArtifacts(root: string, depth = 3): Promise<Candidate[]> {
  const out: Candidate[] = [];
  async function walk(dir: string, level: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => e.isFile() && e.name === "manifest.json")) {
      try {
        const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as { id?: unknown; version?: unknown; createdAt?: unknown };
        out.push({ dir, id: String(m.id ?? dir), version: String(m.version ?? "?"), createdAt: String(m.createdAt ?? "") });
      } catch {
        // Unreadable manifest: still a candidate, so the load reports the exact problem.
        out.push({ dir, id: `unreadable:${dir}`, version: "?", createdAt: "" });
      }
      return;
    }
    if (level >= depth) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) await walk(join(dir, e.name), level + 1);
  }
  await walk(resolve(root), 0);
  return out;
}

/** Newest first: createdAt, then version string (numeric-aware), then folder name. */
export function newestFirst(a: Candidate, b: Candidate): number {
  return b.createdAt.localeCompare(a.createdAt) || b.version.localeCompare(a.version, undefined, { numeric: true }) || b.dir.localeCompare(a.dir);
}

export class ModelRegistry {
  private readonly current = new Map<string, LoadedModel>();
  /** Task → the id its un-named requests go to (settled after every pass). */
  private readonly defaults = new Map<Task, string>();
  /** Model id → the oldest createdAt among its version folders (the id's first deployment). */
  private readonly firstDeployed = new Map<string, string>();
  private reloading: Promise<ReloadReport> | null = null;
  private last: (ReloadReport & { at: string }) | null = null;
  private retiring = new Set<Promise<void>>();
  loaded = false;

  constructor(
    private readonly root: string,
    private readonly ctx: LoadContext,
  ) {}

  get models(): LoadedModel[] {
    return [...this.current.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  lastReload(): (ReloadReport & { at: string }) | null {
    return this.last;
  }

  /** The model serving `task`: by id when given, else the task's default (`defaultFor`). */
  pick(task: Task, id?: string): LoadedModel | undefined {
    if (id !== undefined) {
      const m = this.current.get(id);
      return m && m.manifest.task === task ? m : undefined;
    }
    return this.defaultFor(task);
  }

  /** The model that answers `task` requests naming no model (undefined when that id is not loaded). */
  defaultFor(task: Task): LoadedModel | undefined {
    const id = this.ctx.settings.DEFAULT_MODELS[task] ?? this.defaults.get(task);
    const m = id === undefined ? undefined : this.current.get(id);
    return m && m.manifest.task === task ? m : undefined;
  }

  /** Where the default of a task comes from, for logs and /models. */
  private settleDefaults(): void {
    for (const task of ["generate", "summarize"] as const) {
      const configured = this.ctx.settings.DEFAULT_MODELS[task];
      const serving = this.models.filter((m) => m.manifest.task === task);
      if (configured !== undefined) {
        if (!serving.some((m) => m.id === configured) && serving.length > 0) {
          this.ctx.logger.warn({ task, configured, serving: serving.map((m) => m.id) }, "DEFAULT_MODELS names a model that is not loaded: requests naming no model get 503");
        }
        continue;
      }
      const sticky = this.defaults.get(task);
      if (sticky !== undefined && serving.some((m) => m.id === sticky)) continue;
      const first = (m: LoadedModel) => this.firstDeployed.get(m.id) ?? m.manifest.createdAt;
      const chosen = [...serving].sort((a, b) => first(a).localeCompare(first(b)) || a.id.localeCompare(b.id))[0];
      if (chosen === undefined) this.defaults.delete(task);
      else {
        this.defaults.set(task, chosen.id);
        if (serving.length > 1) {
          this.ctx.logger.warn({ task, default: chosen.id, serving: serving.map((m) => m.id) }, "several models serve this task and DEFAULT_MODELS names none: the one deployed first answers requests naming no model");
        }
      }
    }
  }

  /**
   * Scan and (re)load; concurrent calls share one pass. `skipKnownFailures` (polling) does not retry
   * a folder that already failed until its manifest changes.
   */
  reload(opts: { skipKnownFailures?: boolean } = {}): Promise<ReloadReport> {
    if (this.reloading) {
      // Something changed while a pass runs (e.g. a worker died after its model was checked): run again after it.
      if (!opts.skipKnownFailures) this.again = true;
      return this.reloading;
    }
    this.reloading = this.pass(opts.skipKnownFailures === true).finally(() => {
      this.reloading = null;
      this.loaded = true;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.reloading;
  }
  private again = false;

  private readonly failedSig = new Map<string, string>();

  private async signature(dir: string): Promise<string> {
    const st = await stat(join(dir, "manifest.json")).catch(() => null);
    return st ? `${st.mtimeMs}:${st.size}` : "missing";
  }

  private async pass(skipKnownFailures: boolean): Promise<ReloadReport> {
    const { logger, metrics } = this.ctx;
    const report: ReloadReport = { loaded: [], failed: [], unchanged: [] };
    const found = await findArtifacts(this.root);
    const byId = new Map<string, Candidate[]>();
    for (const c of found) byId.set(c.id, [...(byId.get(c.id) ?? []), c]);
    for (const [id, cands] of byId) {
      const oldest = cands.map((c) => c.createdAt).filter((t) => t !== "").sort()[0];
      const known = this.firstDeployed.get(id);
      if (oldest !== undefined && (known === undefined || oldest < known)) this.firstDeployed.set(id, oldest);
    }
    for (const [id, cands] of byId) {
      cands.sort(newestFirst);
      const cur = this.current.get(id);
      // A serving version whose folder was removed (a rollback) gives way to the newest one left.
      const curPresent = cur !== undefined && cands.some((c) => resolve(c.dir) === resolve(cur.dir));
      for (const c of cands) {
        const same = cur && resolve(cur.dir) === resolve(c.dir) && cur.version === c.version;
        if (cur && same && cur.healthy) {
          report.unchanged.push({ id: cur.id, version: cur.version });
          break;
        }
        // Only newer candidates replace a serving model; older ones are tried only when none serves.
        if (cur && curPresent && !same && cur.healthy && newestFirst(c, { dir: cur.dir, id, version: cur.version, createdAt: cur.manifest.createdAt }) > 0) {
          report.unchanged.push({ id: cur.id, version: cur.version });
          break;
        }
        const sig = await this.signature(c.dir);
        if (skipKnownFailures && this.failedSig.get(c.dir) === sig) continue;
        try {
          const next = await LoadedModel.load(c.dir, this.ctx);
          if (next.id !== id) {
            // The manifest we peeked at changed under us; serve it under its real id next pass.
            await next.retire(0);
            throw new Error(`manifest id changed while loading (${id} → ${next.id})`);
          }
          const old = this.current.get(id);
          this.current.set(id, next); // the switch
          next.onUnhealthy = () => {
            logger.error({ model: next.label }, "an engine worker died; loading a fresh copy of the model");
            void this.reload();
          };
          this.publishInfo(next, old);
          report.loaded.push({ id: next.id, version: next.version });
          metrics.reloads.inc({ outcome: "loaded" });
          if (old) {
            logger.info({ model: id, from: old.version, to: next.version }, "hot swap: new version serving, old version draining");
            const p = old.retire(this.ctx.settings.DRAIN_TIMEOUT_MS).catch((e: unknown) => logger.error({ err: String(e) }, "retiring old version failed"));
            this.retiring.add(p);
            void p.finally(() => this.retiring.delete(p));
          }
          break;
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          // The report is served (/models, /admin/reload): no server paths in it; the log keeps them.
          report.failed.push({ dir: publicDir(this.root, c.dir), error: publicMessage(this.root, error) });
          this.failedSig.set(c.dir, sig);
          metrics.reloads.inc({ outcome: "failed" });
          logger.error({ model: id, dir: c.dir, error, keeping: cur?.label ?? null }, "model load failed; keeping the previous version");
        }
      }
    }
    // A model id none of whose folders is left (a rolled-back new id) stops serving: named requests get
    // 404, it never answers for its task. Only on a scan that found artifacts: an unreadable MODELS_DIR
    // must not unload everything.
    if (found.length > 0) {
      for (const [id, m] of [...this.current]) {
        if (byId.has(id)) continue;
        this.current.delete(id);
        this.ctx.metrics.modelInfo.remove({ model: m.id, version: m.version, task: m.manifest.task, ep: m.ep, denoiser: m.denoiser.served });
        logger.info({ model: m.label }, "every folder of this model was removed: no longer served");
        const p = m.retire(this.ctx.settings.DRAIN_TIMEOUT_MS).catch((e: unknown) => logger.error({ err: String(e) }, "retiring a removed model failed"));
        this.retiring.add(p);
        void p.finally(() => this.retiring.delete(p));
      }
    }
    this.settleDefaults();
    this.last = { ...report, at: new Date().toISOString() };
    return report;
  }

  private publishInfo(next: LoadedModel, old: LoadedModel | undefined): void {
    const g = this.ctx.metrics.modelInfo;
    if (old) g.remove({ model: old.id, version: old.version, task: old.manifest.task, ep: old.ep, denoiser: old.denoiser.served });
    g.set({ model: next.id, version: next.version, task: next.manifest.task, ep: next.ep, denoiser: next.denoiser.served }, 1);
  }

  /** Drain every serving model (shutdown). */
  async close(timeoutMs: number): Promise<void> {
    const all = this.models;
    this.current.clear();
    await Promise.all([...all.map((m) => m.retire(timeoutMs)), ...this.retiring]);
  }
}
