import { createServer } from "node:net";

/** Asks the kernel for a free loopback port. Another process could take it before we bind, but on a test
 * machine that race is rare enough, and every caller fails loudly if the port is taken. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no port"));
      server.close(() => resolve(address.port));
    });
  });
}
