/**
 * The edge API: authenticate, validate, enqueue, read status. Request flow for `/v1/*`:
 *
 *   1. withConfig   bindings validated (500 invalid_config naming the variable), storage client attached
 *   2. bearerAuth   401 + WWW-Authenticate for a missing/unknown key; sets the principal
 *   3. rateLimit    429 + Retry-After when RATE_LIMIT is set
 *   4. per route    requireJson (415), bodyLimit (413), then the zod validators (400), then the handler
 *   5. no route     405 + Allow when the path answers other methods, else 404
 *
 * Every error, thrown anywhere, leaves through `problemHandler` as problem+json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { assertEventRegistry, assertRegistry, EVENTS, JOBS, type EventRegistry, type Registry } from "../../shared/src/index";
import { allowedMethods } from "./allowed-methods";
import type { AppEnv } from "./context";
import { bearerAuth } from "./middleware/auth";
import { withConfig } from "./middleware/config";
import { problemHandler, problemNotFound, type ProblemHandlerOptions } from "./middleware/problem";
import { rateLimit } from "./middleware/rate-limit";
import { adminRoutes } from "./routes/admin";
import { adminJobRoutes } from "./routes/admin-jobs";
import { adminQueueRoutes } from "./routes/admin-queues";
import { batchRoutes } from "./routes/batch";
import { dashboardRoutes } from "./dashboard/index";
import { docsRoutes } from "./routes/docs";
import { eventRoutes } from "./routes/events";
import { healthRoutes } from "./routes/health";
import { jobRoutes } from "./routes/jobs";
import { queueRoutes } from "./routes/queues";
import { scheduleRoutes } from "./routes/schedules";
import type { StorageOptions } from "./storage";
import { validationHook } from "./validation";

export interface CreateAppOptions {
  /** Job types served. Default: the shared registry. */
  jobs?: Registry;
  /** Events published through `POST /v1/events/{name}`. Default: the shared event registry. */
  events?: EventRegistry;
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
  // At isolate start (index.ts builds the app at module scope), so a registry key that is not its job's name
  // fails the deploy instead of answering 202 for jobs no worker serves.
  assertRegistry(jobs);
  // The shipped events fan out to shipped jobs: with a registry of its own and no events, an app serves none.
  const events = options.events ?? (options.jobs ? {} : EVENTS);
  assertEventRegistry(events, jobs);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(problemHandler({ log: options.log }));
  // A wrong method on a known path is 405 with Allow; the route table is read on the first miss, when it is complete.
  app.notFound(problemNotFound({ allowed: allowedMethods(() => app.routes) }));

  const config = withConfig({ storage: options.storage });
  app.use("/healthz", config);
  app.use("/v1/*", config, bearerAuth(), rateLimit());

  app.route("/", healthRoutes());
  app.route("/", jobRoutes(jobs));
  app.route("/", batchRoutes(jobs));
  app.route("/", eventRoutes(events));
  app.route("/", queueRoutes(jobs));
  app.route("/", adminRoutes(jobs));
  app.route("/", adminQueueRoutes(jobs));
  app.route("/", adminJobRoutes(jobs));
  app.route("/", dashboardRoutes(jobs, { storage: options.storage, log: options.log }));
  app.route("/", scheduleRoutes(jobs));
  docsRoutes(app, jobs);
  return app;
}
