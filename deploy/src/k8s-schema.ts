// Validates Kubernetes objects against the API's OpenAPI schemas offline, through the validators
// that `kubernetes-models` compiles from them. Those schemas allow unknown fields, so a typo such as
// `livenesProbe` would pass; we add a strict unknown-field check (hand-written, since no offline
// library offers one): the compiled validator is run on a Proxy that records which properties it
// reads. A property the schema knows is always read (to test it); any key of a checked object that
// was never read is unknown. Objects whose keys the validator enumerates (label maps, ConfigMap data,
// resource quantities) are free-form maps and exempt.
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, { prototype: Validatable }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

export const SUPPORTED_KINDS = Object.keys(MODELS);

interface Trace {
  read: Map<object, Set<string>>;
  enumerated: Set<object>;
  paths: Map<object, string>;
}

function traced(value: unknown, path: string, trace: Trace): unknown {
  if (value === null || typeof value !== "object") return value;
  const target = value as Record<string, unknown>;
  const read = new Set<string>();
  trace.read.set(target, read);
  trace.paths.set(target, path);
  const children = new Map<string, unknown>();
  return new Proxy(target, {
    get(t, key) {
      if (typeof key !== "string") return Reflect.get(t, key);
      read.add(key);
      if (!children.has(key)) children.set(key, traced(t[key], `${path}/${key}`, trace));
      return children.get(key);
    },
    ownKeys(t) {
      trace.enumerated.add(t);
      return Reflect.ownKeys(t);
    },
  });
}

/** Schema errors and unknown fields of one object, as "<kind>/<name>: <path> <problem>" lines. */
export function validateK8sObject(obj: Record<string, unknown>): string[] {
  const md = obj.metadata as { name?: unknown } | undefined;
  const id = `${String(obj.kind)}/${String(md?.name ?? "?")}`;
  const model = MODELS[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (model === undefined) return [`${id}: apiVersion/kind ${String(obj.apiVersion)}/${String(obj.kind)} has no schema here (supported: ${SUPPORTED_KINDS.join(", ")})`];
  const trace: Trace = { read: new Map(), enumerated: new Set(), paths: new Map() };
  const errors: string[] = [];
  try {
    model.prototype.validate.call(traced(obj, "", trace) as Validatable);
  } catch (err) {
    errors.push(`${id}: ${(err as Error).message}`);
  }
  for (const [node, read] of trace.read) {
    if (Array.isArray(node) || trace.enumerated.has(node) || read.size === 0) continue;
    for (const key of Object.keys(node)) {
      if (!read.has(key)) errors.push(`${id}: ${trace.paths.get(node) || "/"}${trace.paths.get(node) ? "/" : ""}${key} is not a field of this object`);
    }
  }
  return errors;
}
