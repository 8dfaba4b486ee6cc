// Checks a rendered set of objects beyond their schemas: references resolve (ConfigMap, Secret key,
// PVC, HPA target), selectors select the server pods, and the operational contract of the server
// holds (health probes, drain fits in the grace period, models volume at MODELS_DIR, non-root).
import { podSpecOf, type K8sObject } from "./kustomize.ts";
import { validateK8sObject } from "./k8s-schema.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export interface ServerContract {
  /** Environment keys the server accepts (server/src/settings ServerSettingsSchema). */
  knownEnv: ReadonlySet<string>;
  /** Default drain timeout when the ConfigMap does not set DRAIN_TIMEOUT_MS. */
  defaultDrainMs: number;
  queueMetric: string;
}

function find(objs: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objs.find((o) => o.kind === kind && o.metadata.name === name);
}

function selects(selector: Obj, labels: Obj): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function probePath(probe: unknown): string | undefined {
  const p = asObj(asObj(probe).httpGet).path;
  return typeof p === "string" ? p : undefined;
}

function sleepSeconds(preStop: unknown): number {
  const h = asObj(preStop);
  if (isObj(h.sleep) && typeof h.sleep.seconds === "number") return h.sleep.seconds;
  const cmd = asObj(h.exec).command;
  if (Array.isArray(cmd) && cmd[0] === "sleep") return Number(cmd[1]);
  return 0;
}

/** Every problem found, one line each; empty when the render is deployable. */
export function checkRender(objs: K8sObject[], contract: ServerContract): string[] {
  const problems = objs.flatMap((o) => validateK8sObject(o));
  const deployments = objs.filter((o) => o.kind === "Deployment");
  if (deployments.length !== 1) problems.push(`expected one Deployment, found ${deployments.length}`);
  for (const kind of ["Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap", "Secret", "PersistentVolumeClaim"]) {
    if (!objs.some((o) => o.kind === kind)) problems.push(`no ${kind}`);
  }

  const configMaps = objs.filter((o) => o.kind === "ConfigMap");
  for (const cm of configMaps) {
    for (const key of Object.keys(asObj(cm.data))) {
      if (!contract.knownEnv.has(key)) problems.push(`ConfigMap/${cm.metadata.name}: ${key} is not a server setting`);
    }
  }

  for (const d of deployments) {
    const id = `Deployment/${d.metadata.name}`;
    const spec = asObj(d.spec);
    const pod = podSpecOf(d as never) ?? {};
    const podLabels = asObj(asObj(asObj(spec.template).metadata).labels);
    if (!selects(asObj(asObj(spec.selector).matchLabels), podLabels)) problems.push(`${id}: selector does not match its pod labels`);
    if (asObj(pod.securityContext).runAsNonRoot !== true) problems.push(`${id}: pods must set runAsNonRoot`);

    const volumes = asList(pod.volumes);
    for (const v of volumes) {
      const claim = asObj(v.persistentVolumeClaim).claimName;
      if (typeof claim === "string" && !find(objs, "PersistentVolumeClaim", claim)) problems.push(`${id}: volume ${String(v.name)} uses missing PVC ${claim}`);
    }

    const containers = asList(pod.containers);
    const env: Record<string, string> = {};
    for (const c of containers) {
      const cid = `${id} container ${String(c.name)}`;
      for (const ef of asList(c.envFrom)) {
        const name = asObj(ef.configMapRef).name;
        const cm = typeof name === "string" ? find(objs, "ConfigMap", name) : undefined;
        if (typeof name === "string" && cm === undefined) problems.push(`${cid}: envFrom missing ConfigMap ${name}`);
        Object.assign(env, asObj(cm?.data));
      }
      for (const e of asList(c.env)) {
        const ref = asObj(asObj(e.valueFrom).secretKeyRef);
        if (typeof ref.name === "string") {
          const secret = find(objs, "Secret", ref.name);
          const keys = new Set([...Object.keys(asObj(secret?.data)), ...Object.keys(asObj(secret?.stringData))]);
          if (secret === undefined) problems.push(`${cid}: env ${String(e.name)} uses missing Secret ${ref.name}`);
          else if (!keys.has(String(ref.key))) problems.push(`${cid}: Secret ${ref.name} has no key ${String(ref.key)}`);
        }
        if (!contract.knownEnv.has(String(e.name))) problems.push(`${cid}: env ${String(e.name)} is not a server setting`);
      }
      if (probePath(c.startupProbe) !== "/health/live") problems.push(`${cid}: startupProbe must GET /health/live`);
      if (probePath(c.livenessProbe) !== "/health/live") problems.push(`${cid}: livenessProbe must GET /health/live`);
      if (probePath(c.readinessProbe) !== "/health/ready") problems.push(`${cid}: readinessProbe must GET /health/ready`);
      const portNames = new Set(asList(c.ports).map((p) => p.name));
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        const port = asObj(asObj(probe).httpGet).port;
        if (typeof port === "string" && !portNames.has(port)) problems.push(`${cid}: probe port ${port} is not a named container port`);
      }
      const requests = asObj(asObj(c.resources).requests);
      if (requests.cpu === undefined || requests.memory === undefined) problems.push(`${cid}: needs cpu and memory requests`);
      if (asObj(asObj(c.resources).limits).memory === undefined) problems.push(`${cid}: needs a memory limit`);

      const drainMs = env.DRAIN_TIMEOUT_MS !== undefined ? Number(env.DRAIN_TIMEOUT_MS) : contract.defaultDrainMs;
      const grace = typeof pod.terminationGracePeriodSeconds === "number" ? pod.terminationGracePeriodSeconds : 30;
      const preStop = sleepSeconds(asObj(c.lifecycle).preStop);
      if (preStop <= 0) problems.push(`${cid}: needs a preStop sleep so endpoints drop the pod before SIGTERM`);
      if (grace <= preStop + drainMs / 1000) {
        problems.push(`${id}: terminationGracePeriodSeconds ${grace} must exceed preStop ${preStop} s + drain ${drainMs / 1000} s`);
      }
      const modelsDir = env.MODELS_DIR;
      const mount = asList(c.volumeMounts).find((m) => m.mountPath === modelsDir);
      const vol = mount && volumes.find((v) => v.name === mount.name);
      if (modelsDir === undefined || vol === undefined || !isObj(vol.persistentVolumeClaim)) {
        problems.push(`${cid}: MODELS_DIR (${String(modelsDir)}) must be a mounted PersistentVolumeClaim`);
      }
    }

    for (const svc of objs.filter((o) => o.kind === "Service")) {
      if (!selects(asObj(asObj(svc.spec).selector), podLabels)) problems.push(`Service/${svc.metadata.name}: selector does not select ${id}'s pods`);
    }
    for (const pdb of objs.filter((o) => o.kind === "PodDisruptionBudget")) {
      if (!selects(asObj(asObj(asObj(pdb.spec).selector).matchLabels), podLabels)) problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selector does not select ${id}'s pods`);
    }
  }

  for (const hpa of objs.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const spec = asObj(hpa.spec);
    const ref = asObj(spec.scaleTargetRef);
    if (!find(objs, String(ref.kind), String(ref.name))) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: target ${String(ref.kind)}/${String(ref.name)} not found`);
    const metrics = asList(spec.metrics).map((m) => asObj(asObj(asObj(m).pods).metric).name);
    if (!metrics.includes(contract.queueMetric)) problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: does not scale on ${contract.queueMetric}`);
  }
  return problems;
}
