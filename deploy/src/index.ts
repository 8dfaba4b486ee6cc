export { kustomize, strategicMerge, readYamlObjects, podSpecOf, KustomizeError } from "./kustomize.ts";
export type { K8sObject } from "./kustomize.ts";
export { validateK8sObject, SUPPORTED_KINDS } from "./k8s-schema.ts";
export { checkRender } from "./k8s-checks.ts";
export type { ServerContract } from "./k8s-checks.ts";
export { checkDockerfile, readDockerfile } from "./dockerfile-rules.ts";
export type { DockerfileFacts } from "./dockerfile-rules.ts";
export { parseDockerignore, isIgnored } from "./dockerignore.ts";
