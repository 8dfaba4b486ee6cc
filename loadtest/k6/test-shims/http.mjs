// Records k6/http calls (test stand-in, see hooks.mjs).
export default {
  post(url, body, params) {
    globalThis.__k6calls.push({ url, body, params });
    return { status: 200 };
  },
};
