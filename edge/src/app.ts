/**
 * The edge API: authenticate, validate, enqueue, read status. Request flow for `/v1/*`:
 *
 *   1. withConfig   bindings validated (500 invalid_config naming the variable), storage client attached
 *   2. bearerAuth   401 + WWW-Authenticate for a missing/unknown key; sets the principal
 *   3. rateLimit    429 + Retry-After when RATE_LIMIT is set
 *   4. per route    requireJson (415), bodyLimit (413), then the zod validators (400), then the handler
 *
 * Every error, thrown anywhere, leaves through `problemHandler` as problem+json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { JOBS, type Registry } from "../../shared/src/index";
import type { AppEnv } from "./context";
import { bearerAuth } from "./middleware/auth";
import { withConfig } from "./middleware/config";
import { problemHandler, problemNotFound, type ProblemHandlerOptions } from "./middleware/problem";
import { rateLimit } from "./middleware/rate-limit";
import { adminRoutes } from "./routes/admin";
import { batchRoutes } from "./routes/batch";
import { dashboardRoutes } from "./dashboard/index";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { jobRoutes } from "./routes/jobs";
import { queueRoutes } from "./routes/queues";
import type { StorageOptions } from "./storage";
import { validationHook } from "./validation";

export interface CreateAppOptions {
  /** Job types served. Default: the shared registry. */
  jobs?: Registry;
  /** Upstash client timeout and retries. */
  storage?: StorageOptions;
  log?: ProblemHandlerOptions["log"];
}

/**
 * @example
 * const app = createApp();
 * export default { fetch: app.fetch };
 */
export function createApp(options: CreateAppOptions = {}): OpenAPIHono<AppEnv> {
  const jobs = options.jobs ?? JOBS;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(problemHandler({ log: options.log }));
  app.notFound(problemNotFound());

  const config = withConfig({ storage: options.storage });
  app.use("/healthz", config);
  app.use("/v1/*", config, bearerAuth(), rateLimit());

  app.route("/", healthRoutes());
  app.route("/", jobRoutes(jobs));
  app.route("/", batchRoutes(jobs));
  app.route("/", queueRoutes(jobs));
  app.route("/", adminRoutes(jobs));
  app.route("/", dashboardRoutes(jobs, { storage: options.storage, log: options.log }));
  docsRoutes(app, jobs);
  return app;
}
