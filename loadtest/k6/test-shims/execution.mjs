// k6/execution stand-in: the driver sets globalThis.__k6scenario before each call (see hooks.mjs).
export default {
  get vu() {
    return { idInTest: 1 };
  },
  get scenario() {
    return globalThis.__k6scenario;
  },
};
