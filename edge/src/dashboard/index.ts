/**
 * `/dashboard`: the operator's screens, served by the Worker (server-rendered with hono/jsx; the stylesheet and
 * the small client script are static assets of this Worker, see edge/build/static-assets.mjs). Mounted by
 * app.ts with one line. Request flow (guard.ts explains each gate):
 *
 *   securityHeaders → withConfig → sameOrigin (POST) → sign-in routes → requireSession (+ CSRF on POST)
 *   → pages (GET) and actions (POST, 303 back with a notice)
 *
 * Errors render as an HTML page with the problem's status and message (logged like the API's, by the same
 * handler), not as problem+json: a person is reading.
 */
import { Hono } from "hono";
import { toProblem, type Registry } from "../../../shared/src/index";
import { withConfig } from "../middleware/config";
import { problemHandler, toOffloadError, type ProblemHandlerOptions } from "../middleware/problem";
import type { StorageOptions } from "../storage";
import { actionRoutes } from "./actions";
import { requireSession, sameOrigin, securityHeaders, type DashboardEnv } from "./guard";
import { pageRoutes } from "./pages";
import { signInRoutes, signOutRoutes } from "./sign-in";
import { errorPage } from "./error-page";

export interface DashboardOptions {
  storage?: StorageOptions | undefined;
  log?: ProblemHandlerOptions["log"];
}

/**
 * @example
 * app.route("/", dashboardRoutes(JOBS));
 */
export function dashboardRoutes(jobs: Registry, options: DashboardOptions = {}): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const problems = problemHandler({ log: options.log });
  app.onError((error, c) => {
    const response = problems(error, c);
    const problem = toProblem(toOffloadError(error));
    return errorPage(c, response, problem);
  });

  for (const path of ["/dashboard", "/dashboard/*"]) {
    app.use(path, securityHeaders(), withConfig(options.storage ? { storage: options.storage } : {}), sameOrigin());
  }
  app.get("/dashboard/", (c) => c.redirect("/dashboard", 301));
  app.route("/", signInRoutes());
  for (const path of ["/dashboard", "/dashboard/*"]) app.use(path, requireSession());
  app.route("/", signOutRoutes());
  app.route("/", pageRoutes(jobs));
  app.route("/", actionRoutes(jobs));
  return app;
}
