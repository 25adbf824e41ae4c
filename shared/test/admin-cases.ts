/**
 * The `admin operations` cases of the protocol conformance suite (shared/test/protocol.test.ts registers them
 * inside its per-client `describe.each`, so every case runs through ioredis and through Upstash REST against
 * the same real redis-server). Kept in their own modules so the suite file stays readable; not suites of their
 * own (no `.test.ts`: vitest never runs them alone).
 */
import type { AdminCaseContext } from "./admin-fixtures";
import { adminMoveCases } from "./admin-move-cases";
import { adminReadCases } from "./admin-read-cases";

export type { AdminCaseContext } from "./admin-fixtures";

export function adminCases(ctx: AdminCaseContext): void {
  adminReadCases(ctx);
  adminMoveCases(ctx);
}
