/**
 * Which commands upstash-local refuses, and why. Every request shares one Redis connection (so a transaction's
 * MULTI…EXEC is written in one piece and requests pipeline freely), which rules out three kinds of command:
 *
 * 1. Commands that change the state of that shared connection (protocol, database, auth, reply mode, client
 *    tracking, subscriber or monitor mode): one request would change every later request's answers.
 * 2. MULTI/EXEC/DISCARD/WATCH/UNWATCH sent as plain commands: a transaction has its own route, /multi-exec.
 * 3. Blocking commands (BLPOP and friends, XREAD … BLOCK, WAIT): Redis would hold the shared connection and
 *    stall every other request until the timeout. Real Upstash runs them; the edge never should (Workers pay
 *    for wall time), so refusing them here keeps the endpoint simple and makes an accidental one loud.
 *    One exception: WAIT inside a /pipeline (the edge's replica-acknowledged enqueue) runs, on a connection of
 *    its own (dedicated-connections.ts); a WAIT sent alone would measure nothing and stays refused.
 *
 * The error text starts the way Upstash words a command it does not serve.
 */

const CONNECTION_STATE = new Set([
  "AUTH", "HELLO", "SELECT", "QUIT", "RESET", "READONLY", "READWRITE",
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
  "MONITOR", "SYNC", "PSYNC", "REPLCONF",
]);
/** CLIENT subcommands that change the connection they are sent on. The others (LIST, INFO, ID…) pass. */
const CLIENT_STATE = new Set(["REPLY", "TRACKING", "CACHING", "SETNAME", "SETINFO", "NO-EVICT", "NO-TOUCH"]);
const TRANSACTION = new Set(["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"]);
const BLOCKING = new Set([
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMOVEM", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
]);
const SHARED_CONNECTION =
  "upstash-local shares one Redis connection between all requests, so it refuses commands that change that connection";
const BLOCKS =
  "upstash-local refuses blocking commands: they would stall every other request on its shared Redis connection";

/** These block only when given the BLOCK option (before STREAMS; after it come key names and IDs). */
const BLOCK_OPTION = new Set(["XREAD", "XREADGROUP"]);

/**
 * Returns the error to answer instead of running the command, or `undefined` if it may run.
 *
 * @example
 * refusal(["BLPOP", "q", "0"]); // "ERR Command is not available: 'BLPOP'. upstash-local refuses blocking …"
 * refusal(["GET", "k"]); // undefined
 */
export function refusal(argv: readonly (string | Buffer)[], options: { allowWait?: boolean } = {}): string | undefined {
  const name = String(argv[0] ?? "").toUpperCase();
  if (name === "WAIT" && options.allowWait) return undefined;
  const sub = argv[1] === undefined ? "" : argv[1].toString().toUpperCase();
  const unavailable = (what: string, why: string) => `ERR Command is not available: '${what}'. ${why}`;

  if (CONNECTION_STATE.has(name) || (name === "CLIENT" && CLIENT_STATE.has(sub))) {
    const what = name === "CLIENT" ? `${name} ${sub}` : name;
    return unavailable(what, SHARED_CONNECTION);
  }
  if (TRANSACTION.has(name)) {
    return unavailable(name, "Send the whole transaction to /multi-exec instead");
  }
  if (BLOCKING.has(name) || (BLOCK_OPTION.has(name) && hasBlockOption(argv))) {
    return unavailable(name, BLOCKS);
  }
  return undefined;
}

function hasBlockOption(argv: readonly (string | Buffer)[]): boolean {
  for (const arg of argv.slice(1)) {
    const word = arg.toString().toUpperCase();
    if (word === "STREAMS") return false;
    if (word === "BLOCK") return true;
  }
  return false;
}
