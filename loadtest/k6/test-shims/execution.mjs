// k6/execution stand-in: the driver sets globalThis.__k6scenario / __k6vu before each call (see hooks.mjs).
export default {
  get vu() {
    return globalThis.__k6vu;
  },
  get scenario() {
    return globalThis.__k6scenario;
  },
};
