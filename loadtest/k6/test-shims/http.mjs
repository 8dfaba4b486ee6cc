// Records k6/http calls (test stand-in, see hooks.mjs); answers with globalThis.__k6response.
export default {
  post(url, body, params) {
    globalThis.__k6calls.push({ url, body, params, scenario: globalThis.__k6scenario.name });
    return globalThis.__k6response;
  },
};
