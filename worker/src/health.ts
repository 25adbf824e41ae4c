/**
 * The health and metrics port Fly.io checks: `/healthz` is 200 while the command connection to Redis is up
 * (503 otherwise, with the redacted address and the cause, so a worker that lost Redis is visible and says why),
 * `/metrics` serves Prometheus text.
 */
import { createServer, type Server } from "node:http";
import type { WorkerMetrics } from "./metrics";

export function startHealthServer(options: {
  port: number;
  host: string;
  health: () => { healthy: boolean; redis: string; cause?: string };
  metrics: WorkerMetrics;
}): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === "/healthz") {
      const { healthy, redis, cause } = options.health();
      res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(healthy ? { status: "ok" } : { status: "redis_unavailable", redis, cause }));
    } else if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": options.metrics.registry.contentType });
      res.end(await options.metrics.registry.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
