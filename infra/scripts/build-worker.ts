/**
 * Bundles the worker into dist/worker/{main,thread}.js with esbuild: one file per entry, dependencies included,
 * so the Docker image needs only `node` and these files. The thread bundle is what piscina loads.
 */
import { build } from "esbuild";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");

export async function buildWorker(outdir: string = join(root, "dist/worker")): Promise<string> {
  await build({
    entryPoints: {
      main: join(root, "worker/src/main.ts"),
      thread: join(root, "worker/src/thread-entry.ts"),
    },
    outdir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    sourcemap: true,
    // piscina finds its own thread bootstrap file next to itself on disk, so it stays a real dependency.
    external: ["piscina"],
    logLevel: "warning",
    // Bundled CommonJS dependencies call require(); give ESM output one.
    banner: { js: "import { createRequire as __offloadRequire } from 'node:module'; const require = __offloadRequire(import.meta.url);" },
  });
  return outdir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = await buildWorker();
  console.log(`worker bundled into ${outdir}`);
}
