/**
 * Port choices for the local stack: a well-known default when it is free (so URLs stay the same from one run
 * to the next), any free port otherwise, and the caller says which it got.
 */
import { createServer } from "node:net";
import { freePort } from "../runtime/free-port";

/** Whether a loopback listener could bind `port` right now. */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * @example
 * await preferPort(6380) // { port: 6380, fallback: false } or { port: 41234, fallback: true } when 6380 is taken
 */
export async function preferPort(preferred: number): Promise<{ port: number; fallback: boolean }> {
  if (await isPortFree(preferred)) return { port: preferred, fallback: false };
  return { port: await freePort(), fallback: true };
}
