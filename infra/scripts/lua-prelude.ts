/**
 * The Lua prelude: protocol facts that live in the TypeScript modules, rendered as Lua locals so no script types
 * them a second time (`-- @include prelude` in a script or include). Changing a fact in TypeScript and running
 * `npm run gen` changes every script; the drift test in shared/test/scripts.test.ts fails until then.
 */
import { LOCAL_ID } from "../../shared/src/ids";
import { MARKER } from "../../shared/src/keys";
import { ERRORS_KEPT } from "../../shared/src/record";
import { COMPLETED_INDEX_MAX, HISTORY_BINS_MS, HISTORY_MINUTES } from "../../shared/src/ops/admin";

/** A Lua string literal for plain printable ASCII (all these facts are); anything else is refused at build time. */
function luaString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`prelude: ${JSON.stringify(text)} is not printable ASCII`);
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** `/^[0-9a-z]{16}$/` → a Lua pattern with the class repeated (Lua patterns have no `{n}`). */
function localIdPattern(regex: RegExp): string {
  const match = /^\^(\[[^\]]+\])\{(\d+)\}\$$/.exec(regex.source);
  if (!match || regex.flags !== "") throw new Error(`prelude: cannot translate LOCAL_ID ${regex} into a Lua pattern`);
  return `^${match[1]!.repeat(Number(match[2]))}$`;
}

export function renderPrelude(): string {
  return [
    "-- Generated from the TypeScript modules by lua-prelude.ts (`npm run gen`): protocol facts written once.",
    "-- keys.ts MARKER: the entry a producer pushes to wake a blocked worker.",
    `local MARKER = ${luaString(MARKER)}`,
    "-- ids.ts LOCAL_ID: what a wait-list entry that is a job looks like.",
    `local LOCAL_ID_PATTERN = ${luaString(localIdPattern(LOCAL_ID))}`,
    "-- ops/admin.ts HISTORY_BINS_MS: upper bounds (ms) of the per-minute run-time bins rb0.. (one more is open-ended).",
    `local HISTORY_BINS_MS = { ${HISTORY_BINS_MS.join(", ")} }`,
    "-- ops/admin.ts HISTORY_MINUTES: how long a per-minute history bucket lives (ms).",
    `local HISTORY_TTL_MS = ${HISTORY_MINUTES * 60_000}`,
    "-- ops/admin.ts COMPLETED_INDEX_MAX: ids kept listable in the completed and cancelled indexes.",
    `local COMPLETED_INDEX_MAX = ${COMPLETED_INDEX_MAX}`,
    "-- record.ts ERRORS_KEPT: errors of failed attempts kept in a record's errors history (field h).",
    `local ERRORS_KEPT = ${ERRORS_KEPT}`,
    "local function isLocalId(entry) return string.match(entry, LOCAL_ID_PATTERN) ~= nil end",
  ].join("\n");
}
