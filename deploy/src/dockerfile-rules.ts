// Reads a Dockerfile the way Docker does (dockerfile-ast) and checks it offline: the linter of the
// Docker language server (dockerfile-utils) plus this project's rules: multi-stage, pinned base
// images, a non-root USER, a HEALTHCHECK on /health/live, and an exec-form CMD in the final stage.
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";

export interface DockerfileFacts {
  /** Base images after ARG substitution, stage references excluded. */
  baseImages: string[];
  stageNames: string[];
  finalUser: string | undefined;
  finalEnv: Record<string, string>;
  /** `COPY` sources from the build context (not `--from`), per stage name or index. */
  contextCopies: string[];
  runs: string[];
}

type Parsed = ReturnType<typeof DockerfileParser.parse>;

/** The last build stage (what the image runs); null when there is no FROM. */
function finalStage(df: Parsed) {
  const froms = df.getFROMs();
  const last = froms[froms.length - 1];
  return last === undefined ? null : df.getContainingImage(last.getRange().start);
}

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => args[a ?? b ?? ""] ?? m);
}

export function readDockerfile(text: string): DockerfileFacts {
  const df = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  for (const arg of df.getInitialARGs()) {
    for (const p of arg.getProperties()) if (p.getValue() !== null) args[p.getName()] = p.getValue()!;
  }
  const stageNames: string[] = [];
  const baseImages: string[] = [];
  for (const from of df.getFROMs()) {
    const image = substitute(from.getImage() ?? "", args);
    if (!stageNames.includes(image)) baseImages.push(image);
    const stage = from.getBuildStage();
    stageNames.push(stage ?? String(stageNames.length));
  }
  const final = finalStage(df);
  let finalUser: string | undefined;
  const finalEnv: Record<string, string> = {};
  for (const ins of final?.getInstructions() ?? []) {
    if (ins.getKeyword() === "USER") finalUser = (ins.getArgumentsContent() ?? "").trim();
  }
  for (const env of final?.getENVs() ?? []) {
    for (const p of env.getProperties()) finalEnv[p.getName()] = p.getValue() ?? "";
  }
  const contextCopies: string[] = [];
  const runs: string[] = [];
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    const content = ins.getArgumentsContent() ?? "";
    if (kw === "RUN") runs.push(content);
    if (kw === "COPY" && !/--from=/.test(ins.getTextContent())) {
      const parts = content.split(/\s+/).filter((p) => p !== "" && !p.startsWith("--"));
      contextCopies.push(...parts.slice(0, -1));
    }
  }
  return { baseImages, stageNames, finalUser, finalEnv, contextCopies, runs };
}

/** Problems found in a Dockerfile, one line each; empty when it passes. */
export function checkDockerfile(text: string): string[] {
  const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const df = DockerfileParser.parse(text);
  const facts = readDockerfile(text);
  if (df.getFROMs().length < 2) problems.push("not multi-stage: expected at least two FROM stages");
  for (const image of facts.baseImages) {
    const digest = /@sha256:[0-9a-f]{64}$/.test(image);
    const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "";
    if (!digest && (tag === "" || tag === "latest" || !/\d+\.\d+/.test(tag))) problems.push(`base image ${image} is not pinned to a version or digest`);
    if (image.includes("$")) problems.push(`base image ${image} depends on an ARG without a default`);
  }
  const final = finalStage(df);
  const finalText = (final?.getInstructions() ?? []).map((i) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ""}`);
  if (facts.finalUser === undefined) problems.push("final stage has no USER (it would run as root)");
  else if (/^(root|0)(:|$)/.test(facts.finalUser)) problems.push(`final stage runs as ${facts.finalUser}`);
  const health = finalText.find((l) => l.startsWith("HEALTHCHECK"));
  if (health === undefined) problems.push("final stage has no HEALTHCHECK");
  else if (!health.includes("/health/live")) problems.push("HEALTHCHECK does not probe /health/live");
  const cmd = finalText.find((l) => l.startsWith("CMD") || l.startsWith("ENTRYPOINT"));
  // Exec form, so node is PID 1 and receives SIGTERM for the graceful drain.
  if (cmd === undefined) problems.push("final stage has no CMD");
  else if (!/^(CMD|ENTRYPOINT)\s+\[/.test(cmd)) problems.push("CMD must use the exec (JSON) form so SIGTERM reaches node");
  return problems;
}
