// `npm start`: serve every artifact under MODELS_DIR (default models/) on PORT (default 8080).
import { SettingsError, loadSettings } from "./settings/index.ts";
import { startServer } from "./server.ts";

let settings;
try {
  settings = loadSettings();
} catch (e) {
  if (e instanceof SettingsError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}

const srv = await startServer(settings);
process.on("SIGHUP", () => {
  srv.logger.info("SIGHUP: reloading models");
  void srv.registry.reload().then((r) => srv.logger.info(r, "reload finished"));
});
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.once(sig, () => {
    void srv.shutdown(sig).then(
      () => process.exit(0),
      (e: unknown) => {
        srv.logger.error({ err: String(e) }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
