/**
 * The Lua prelude: protocol facts that live in the TypeScript modules, rendered as Lua locals so no script types
 * them a second time (`-- @include prelude` in a script or include). Changing a fact in TypeScript and running
 * `npm run gen` changes every script; the drift test in shared/test/scripts.test.ts fails until then.
 *
 * A script gets only the facts it mentions: the edge sends a script's whole body with every EVAL (see
 * upstash-runner.ts), so every unused line would be paid per request.
 */
import { LOCAL_ID } from "../src/ids";
import { FLOW_META, GROUP_TOKEN, MARKER } from "../src/keys";
import { ERRORS_KEPT, FIELD } from "../src/record";
// From admin/types (not admin.ts, which loads the generated module): gen must run even when that file is broken.
import { COMPLETED_INDEX_MAX, HISTORY_BINS_MS, HISTORY_MINUTES } from "../src/ops/admin/types";

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

interface Fact {
  /** The Lua name it defines. */
  name: string;
  /** Its definition, with a comment saying where it comes from. A fact may use only the facts before it. */
  lua: string;
}

/** `F.<name>` uses in a script: each must be a FIELD of record.ts (checked here, at build time). */
function fieldsUsed(body: string): string[] {
  const names = [...new Set([...body.matchAll(/\bF\.(\w+)/g)].map((match) => match[1]!))];
  for (const name of names) {
    if (!Object.hasOwn(FIELD, name)) throw new Error(`prelude: F.${name} is not a field of FIELD in shared/src/record.ts`);
  }
  return Object.keys(FIELD).filter((name) => names.includes(name));
}

function facts(body: string): Fact[] {
  const fields = fieldsUsed(body).map((name) => `${name} = ${luaString(FIELD[name as keyof typeof FIELD])}`);
  return [
    { name: "MARKER", lua: `-- keys.ts MARKER: the entry a producer pushes to wake a blocked worker.\nlocal MARKER = ${luaString(MARKER)}` },
    { name: "GROUP_TOKEN", lua: `-- keys.ts GROUP_TOKEN: the first character of a group's ready-list token.\nlocal GROUP_TOKEN = ${luaString(GROUP_TOKEN)}` },
    {
      name: "LOCAL_ID_PATTERN",
      lua: `-- ids.ts LOCAL_ID: what a wait-list entry that is a job looks like.\nlocal LOCAL_ID_PATTERN = ${luaString(localIdPattern(LOCAL_ID))}`,
    },
    { name: "isLocalId", lua: "local function isLocalId(entry) return string.match(entry, LOCAL_ID_PATTERN) ~= nil end" },
    {
      name: "HISTORY_BINS_MS",
      lua: `-- ops/admin.ts HISTORY_BINS_MS: upper bounds (ms) of the run-time bins rb0.. (one more is open-ended).\nlocal HISTORY_BINS_MS = { ${HISTORY_BINS_MS.join(", ")} }`,
    },
    {
      name: "HISTORY_TTL_MS",
      lua: `-- ops/admin.ts HISTORY_MINUTES: how long a per-minute history bucket lives (ms).\nlocal HISTORY_TTL_MS = ${HISTORY_MINUTES * 60_000}`,
    },
    {
      name: "COMPLETED_INDEX_MAX",
      lua: `-- ops/admin.ts COMPLETED_INDEX_MAX: ids kept listable in the completed and cancelled indexes.\nlocal COMPLETED_INDEX_MAX = ${COMPLETED_INDEX_MAX}`,
    },
    {
      name: "ERRORS_KEPT",
      lua: `-- record.ts ERRORS_KEPT: failed attempts' errors kept in a record's errors history (field h).\nlocal ERRORS_KEPT = ${ERRORS_KEPT}`,
    },
    {
      name: "FLOW",
      lua: `-- keys.ts FLOW_META: the flow-control fields of the meta hash.\nlocal FLOW = { ${Object.entries(FLOW_META)
        .map(([name, field]) => `${name} = ${luaString(field)}`)
        .join(", ")} }`,
    },
    {
      name: "F",
      lua: `-- record.ts FIELD: the record's one-letter field names (F.state == 's'), those this script uses.\nlocal F = { ${fields.join(", ")} }`,
    },
  ];
}

/** The prelude for a script whose other code is `body`: the facts it mentions (and the facts those use). */
export function renderPrelude(body: string): string {
  const all = facts(body);
  const needed = new Set<string>();
  let seen = body;
  // Later facts may use earlier ones, so walking backwards finds every dependency in one pass.
  for (const fact of [...all].reverse()) {
    if (new RegExp(`\\b${fact.name}\\b`).test(seen)) {
      needed.add(fact.name);
      seen += `\n${fact.lua}`;
    }
  }
  const chosen = all.filter((fact) => needed.has(fact.name)).map((fact) => fact.lua);
  return ["-- Protocol facts generated from the TypeScript modules (lua-prelude.ts, `npm run gen`).", ...chosen].join("\n");
}
