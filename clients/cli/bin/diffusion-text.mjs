#!/usr/bin/env node
// The installed `diffusion-text` command: the sources run through tsx (the repository has no build step).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
