/**
 * Moves of one job (admin keys only): `POST /v1/admin/jobs/{id}/retry` (dead or cancelled → waiting, attempts
 * reset) and `POST /v1/admin/jobs/{id}/promote` (delayed → waiting now). 200 `{ id, state }`; a job that cannot
 * make the move is a 409 carrying its current state, an unknown id a 404 — both through the one outcome table
 * (`outcomeError` in shared/src/errors.ts).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { outcomeError, promoteJob, retryJob, type Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { locateJob } from "../locate";
import { requireAdmin } from "../middleware/auth";
import { JobIdParamSchema, MovedSchema, problem } from "../schemas";

const MOVES = {
  retry: {
    operate: retryJob,
    operationId: "retryJob",
    summary: "Retry a dead or cancelled job now, attempts reset (admin key)",
    conflict: "The job is not dead or cancelled; `state` is what it is",
  },
  promote: {
    operate: promoteJob,
    operationId: "promoteJob",
    summary: "Run a delayed job now (admin key)",
    conflict: "The job is not delayed; `state` is what it is",
  },
} as const;

function moveRoute(move: keyof typeof MOVES) {
  const { operationId, summary, conflict } = MOVES[move];
  return createRoute({
    method: "post",
    path: `/v1/admin/jobs/{id}/${move}`,
    operationId,
    tags: ["admin"],
    summary,
    middleware: [requireAdmin()] as const,
    request: { params: JobIdParamSchema },
    responses: {
      200: { description: "Moved; `state` is where it is now", content: { "application/json": { schema: MovedSchema } } },
      401: problem("Missing or unknown API key"),
      403: problem("Not an admin key"),
      404: problem("Unknown job, or its record has expired"),
      409: problem(conflict),
      503: problem("Queue storage unavailable; see Retry-After"),
    },
  });
}

/**
 * @example
 * app.route("/", adminJobRoutes(JOBS));
 */
export function adminJobRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  for (const move of ["retry", "promote"] as const) {
    app.openapi(moveRoute(move), async (c) => {
      const { id } = c.req.valid("param");
      const { keys, localId } = locateJob(jobs, id, c.var.config.redisPrefix);
      const moved = await MOVES[move].operate(c.var.storage.runner, keys, localId);
      if (moved.outcome !== "moved") throw outcomeError(move, moved, id);
      return c.json({ id, state: moved.state }, 200);
    });
  }
  return app;
}
