// k6 stand-in: check() records each named result (test stand-in, see hooks.mjs).
export function check(value, sets) {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = Boolean(typeof fn === "function" ? fn(value) : fn);
    globalThis.__k6checks.push({ name, ok, scenario: globalThis.__k6scenario.name });
    all &&= ok;
  }
  return all;
}
