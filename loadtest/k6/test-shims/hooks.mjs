// Test-only module hooks: the project's tests must pass without the k6 binary, so the k6 scripts'
// own logic is exercised under Node with the k6 modules they import (k6, k6/http, k6/execution,
// k6/metrics) mapped to the recording stand-ins in this folder. This checks our code, not k6 (the
// real k6 runs are in loadtest/results/, see loadtest/README.md).
const SHIMS = { k6: "k6.mjs", "k6/http": "http.mjs", "k6/execution": "execution.mjs", "k6/metrics": "metrics.mjs" };
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(SHIMS, specifier)) return { url: new URL(`./${SHIMS[specifier]}`, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
