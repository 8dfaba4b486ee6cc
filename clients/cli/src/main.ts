// `diffusion-text` (and `npm run cli --`): the CLI wired to this process; Ctrl-C aborts the request
// (the server frees its rows) and exits 130.
import { runCli } from "./run.ts";

const ac = new AbortController();
process.once("SIGINT", () => ac.abort());
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: ac.signal });
process.exitCode = code;
