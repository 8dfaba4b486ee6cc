// Test-only module hooks: k6 is a Go binary that cannot run here, so the k6 scripts' own logic is
// exercised under Node with the two k6 modules they import (k6/http, k6/execution) mapped to the
// recording stand-ins in this folder. This checks our code, not k6.
export async function resolve(specifier, context, next) {
  if (specifier === "k6/http" || specifier === "k6/execution") {
    return { url: new URL(`./${specifier.slice(3)}.mjs`, import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
