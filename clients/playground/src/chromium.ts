// Headless Chromium (Debian's package) as the playground's test and `npm run playground:screenshot`
// drive it: a throwaway profile, no GPU, nothing that reaches the network on its own.
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launchHeadlessChromium(profileDir: string, executablePath = CHROMIUM): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    viewport: { width: 1280, height: 860 },
  });
}
