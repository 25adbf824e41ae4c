/**
 * Upstash-only Lua flags. @upstash/ratelimit (≥ 2.1) starts its scripts with `#!lua flags=allow-key-locking`,
 * a flag only Upstash knows: a stock redis-server refuses the whole script. We drop that one flag before the
 * script reaches Redis and remember which SHA the client knows it by, so EVALSHA of the original body still
 * finds the rewritten one and SCRIPT LOAD still answers the SHA the client computed.
 */
import { createHash } from "node:crypto";
import type { Argv, RawReply } from "./raw-command";

const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const SHEBANG = /^#!lua(?:[ \t]+flags=([^\n]*))?\n/;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** Original SHA → SHA of the body Redis actually has. Bounded by the number of distinct scripts clients use. */
const rewrittenSha = new Map<string, string>();

function stripFlags(body: string): string | undefined {
  const match = SHEBANG.exec(body);
  if (!match?.[1]) return undefined;
  const flags = match[1].split(",").map((flag) => flag.trim()).filter(Boolean);
  const kept = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
  if (kept.length === flags.length) return undefined;
  const shebang = kept.length ? `#!lua flags=${kept.join(",")}\n` : "#!lua\n";
  return shebang + body.slice(match[0].length);
}

export interface AdaptedCommand {
  argv: Argv;
  /** Rewrites the reply back into what the client expects (SCRIPT LOAD's SHA). */
  reply(reply: RawReply): RawReply;
}

/**
 * @example
 * const { argv, reply } = adaptScriptCommand(["EVAL", "#!lua flags=allow-key-locking\nreturn 1", "0"]);
 */
export function adaptScriptCommand(argv: Argv): AdaptedCommand {
  const name = argv[0].toUpperCase();
  const same = { argv, reply: (reply: RawReply) => reply };
  if (name === "EVAL" || name === "EVAL_RO") {
    const body = String(argv[1] ?? "");
    const stripped = stripFlags(body);
    if (stripped === undefined) return same;
    rewrittenSha.set(sha1(body), sha1(stripped));
    return { argv: [argv[0], stripped, ...argv.slice(2)] as unknown as Argv, reply: same.reply };
  }
  if (name === "EVALSHA" || name === "EVALSHA_RO") {
    const known = rewrittenSha.get(String(argv[1] ?? "").toLowerCase());
    return known ? { argv: [argv[0], known, ...argv.slice(2)] as unknown as Argv, reply: same.reply } : same;
  }
  if (name === "SCRIPT" && String(argv[1] ?? "").toUpperCase() === "LOAD") {
    const body = String(argv[2] ?? "");
    const stripped = stripFlags(body);
    if (stripped === undefined) return same;
    const original = sha1(body);
    rewrittenSha.set(original, sha1(stripped));
    return { argv: [argv[0], argv[1]!, stripped] as unknown as Argv, reply: (reply) => (reply instanceof Error ? reply : original) };
  }
  return same;
}
