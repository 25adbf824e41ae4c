#!/usr/bin/env node
// `offload`, the package.json bin: registers tsx (a devDependency, so `npm ci` installs it) and runs main.ts.
// No build step, so `npx offload` works from a fresh clone; the cost is ~0.3 s of TypeScript loading per call.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
