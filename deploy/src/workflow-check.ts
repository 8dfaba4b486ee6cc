// Parses a GitHub Actions workflow with GitHub's own parser (@actions/workflow-parser: the schema,
// expressions and job graph the Actions service checks) and returns its errors and job/step outline.
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

export interface WorkflowOutline {
  errors: string[];
  events: string[];
  jobs: { id: string; needs: string[]; steps: { name: string; run: string; if: string; uses: string }[] }[];
}

export async function checkWorkflow(name: string, content: string): Promise<WorkflowOutline> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value === undefined) return { errors: errors.length > 0 ? errors : ["workflow did not parse"], events: [], jobs: [] };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  errors.push(...(template.errors ?? []).map((e) => e.Message).filter((m) => !errors.includes(m)));
  const jobs = (template.jobs ?? []).map((job) => ({
    id: job.id.value,
    needs: (job.needs ?? []).map((n) => n.value),
    steps:
      job.type === "job"
        ? job.steps.map((s) => {
            const step = s as unknown as { name?: { toString(): string }; run?: { toString(): string }; if?: { expression?: string }; uses?: { value: string } };
            return {
              name: step.name?.toString() ?? "",
              run: step.run?.toString() ?? "",
              if: step.if?.expression ?? "",
              uses: step.uses?.value ?? "",
            };
          })
        : [],
  }));
  return { errors, events: Object.keys(template.events ?? {}), jobs };
}
