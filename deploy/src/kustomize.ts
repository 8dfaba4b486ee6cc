// A small subset of kustomize, in TypeScript: enough to render deploy/k8s/ in `npm test` offline.
// Hand-written because no kustomize runs here: the Debian `kubernetes-client` (1.20) bundles a
// kustomize from 2019 that predates `labels`, and the Go binary is not on npm. Supported
// kustomization fields: resources (files and directories), namespace, labels (pairs +
// includeSelectors), images (newName/newTag/digest), patches (strategic merge, by path). Anything
// else is refused with an error rather than silently ignored, so the test can't pass on a
// kustomization the real tool would render differently. The real `kubectl kustomize` stays the
// tool for clusters (deploy/README.md).
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
};

export class KustomizeError extends Error {
  override name = "KustomizeError";
}

const SUPPORTED_FIELDS = new Set(["apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"]);
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "PriorityClass"]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Parses every YAML document of a file; YAML errors name the file. Empty documents are skipped. */
export function readYamlObjects(file: string): JsonObject[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const out: JsonObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new KustomizeError(`${file}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new KustomizeError(`${file}: a document is not a mapping`);
    out.push(value);
  }
  return out;
}

function asK8sObject(v: JsonObject, file: string): K8sObject {
  const md = v.metadata;
  if (typeof v.apiVersion !== "string" || typeof v.kind !== "string" || !isObject(md) || typeof md.name !== "string") {
    throw new KustomizeError(`${file}: every resource needs apiVersion, kind and metadata.name`);
  }
  return v as unknown as K8sObject;
}

// Strategic-merge keys for the lists we patch (from the Kubernetes API's patchMergeKey tags);
// lists without an entry are replaced wholesale, as in the real strategic merge.
const MERGE_KEYS: Record<string, (item: JsonObject) => string> = {
  containers: () => "name",
  initContainers: () => "name",
  env: () => "name",
  volumes: () => "name",
  volumeMounts: () => "mountPath",
  imagePullSecrets: () => "name",
  ports: (item) => ("containerPort" in item ? "containerPort" : "port"),
};

/** Strategic merge of `patch` into `target` (a copy is returned; null deletes a key). */
export function strategicMerge(target: unknown, patch: unknown, field = ""): unknown {
  return merge(target as Json, patch as Json, field);
}

function merge(target: Json, patch: Json, field: string): Json {
  if (isObject(patch)) {
    if ("$patch" in patch) throw new KustomizeError(`$patch directives are not supported (at ${field || "root"})`);
    const base: JsonObject = isObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete base[k];
      else base[k] = k in base ? merge(base[k], v, k) : v;
    }
    return base;
  }
  if (Array.isArray(patch) && Array.isArray(target) && field in MERGE_KEYS && patch.every(isObject)) {
    const out: Json[] = [...target];
    for (const item of patch as JsonObject[]) {
      const key = MERGE_KEYS[field](item);
      const idx = out.findIndex((t) => isObject(t) && t[key] === item[key]);
      if (idx >= 0) out[idx] = merge(out[idx], item, field);
      else out.push(item);
    }
    return out;
  }
  return patch;
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

function imageBaseName(image: string): string {
  const at = image.indexOf("@");
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

function applyImages(obj: JsonObject, rules: ImageRule[]): void {
  const podSpec = podSpecOf(obj);
  if (podSpec === undefined) return;
  for (const listName of ["containers", "initContainers"]) {
    const list = podSpec[listName];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isObject(c) || typeof c.image !== "string") continue;
      const rule = rules.find((r) => r.name === imageBaseName(c.image as string));
      if (rule === undefined) continue;
      const name = rule.newName ?? imageBaseName(c.image);
      c.image = rule.digest !== undefined ? `${name}@${rule.digest}` : rule.newTag !== undefined ? `${name}:${rule.newTag}` : name;
    }
  }
}

/** The pod spec inside a workload (Deployment, StatefulSet, DaemonSet, Job), if any. */
export function podSpecOf(obj: JsonObject): JsonObject | undefined {
  const spec = obj.spec;
  if (!isObject(spec) || !isObject(spec.template)) return undefined;
  const ps = spec.template.spec;
  return isObject(ps) ? ps : undefined;
}

function addLabels(obj: JsonObject, pairs: Record<string, string>, includeSelectors: boolean): void {
  const md = obj.metadata as JsonObject;
  md.labels = { ...(isObject(md.labels) ? md.labels : {}), ...pairs };
  if (!includeSelectors) return;
  const spec = obj.spec;
  if (!isObject(spec)) return;
  if (obj.kind === "Service") {
    spec.selector = { ...(isObject(spec.selector) ? spec.selector : {}), ...pairs };
    return;
  }
  if (isObject(spec.selector)) {
    const sel = spec.selector;
    sel.matchLabels = { ...(isObject(sel.matchLabels) ? sel.matchLabels : {}), ...pairs };
  }
  if (isObject(spec.template)) {
    const tmd: JsonObject = isObject(spec.template.metadata) ? spec.template.metadata : {};
    tmd.labels = { ...(isObject(tmd.labels) ? tmd.labels : {}), ...pairs };
    spec.template.metadata = tmd;
  }
}

function sameTarget(a: JsonObject, b: JsonObject): boolean {
  const group = (v: Json) => (typeof v === "string" && v.includes("/") ? v.split("/")[0] : "");
  return (
    a.kind === b.kind &&
    group(a.apiVersion) === group(b.apiVersion) &&
    (a.metadata as JsonObject).name === (b.metadata as JsonObject).name
  );
}

/** Renders a kustomization directory (or a file inside one) into its list of objects. */
export function kustomize(dirOrFile: string): K8sObject[] {
  const dir = statSync(dirOrFile).isDirectory() ? resolve(dirOrFile) : dirname(resolve(dirOrFile));
  const kfile = join(dir, "kustomization.yaml");
  const docs = readYamlObjects(kfile);
  if (docs.length !== 1) throw new KustomizeError(`${kfile}: expected one document`);
  const k = docs[0];
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field)) throw new KustomizeError(`${kfile}: field "${field}" is not supported by this renderer`);
  }

  let objects: JsonObject[] = [];
  for (const entry of (k.resources ?? []) as Json[]) {
    if (typeof entry !== "string") throw new KustomizeError(`${kfile}: resources entries must be paths`);
    const path = join(dir, entry);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new KustomizeError(`${kfile}: resource ${entry} does not exist`);
    }
    if (stat.isDirectory()) objects.push(...(kustomize(path) as unknown as JsonObject[]));
    else objects.push(...readYamlObjects(path).map((o) => asK8sObject(o, path) as unknown as JsonObject));
  }

  for (const p of (k.patches ?? []) as Json[]) {
    if (!isObject(p) || typeof p.path !== "string" || Object.keys(p).some((key) => key !== "path")) {
      throw new KustomizeError(`${kfile}: only patches of the form { path: file } (strategic merge) are supported`);
    }
    const patchFile = join(dir, p.path);
    for (const patch of readYamlObjects(patchFile)) {
      asK8sObject(patch, patchFile);
      const idx = objects.findIndex((o) => sameTarget(o, patch));
      if (idx < 0) throw new KustomizeError(`${patchFile}: no resource ${patch.kind}/${(patch.metadata as JsonObject).name} to patch`);
      objects[idx] = merge(objects[idx], patch, "") as JsonObject;
    }
  }

  // Deep copies from here on, so transformers never alias a base shared by two overlays.
  objects = objects.map((o) => structuredClone(o));
  if (typeof k.namespace === "string") {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind as string)) (o.metadata as JsonObject).namespace = k.namespace;
  }
  for (const l of (k.labels ?? []) as Json[]) {
    if (!isObject(l) || !isObject(l.pairs)) throw new KustomizeError(`${kfile}: labels entries need pairs`);
    for (const o of objects) addLabels(o, l.pairs as Record<string, string>, l.includeSelectors === true);
  }
  const images = (k.images ?? []) as unknown as ImageRule[];
  if (images.length > 0) for (const o of objects) applyImages(o, images);

  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${(o.metadata as JsonObject).namespace ?? ""}/${(o.metadata as JsonObject).name}`;
    if (seen.has(id)) throw new KustomizeError(`${kfile}: duplicate resource ${id}`);
    seen.add(id);
  }
  return objects as unknown as K8sObject[];
}
