/**
 * Runs the commands of one HTTP request on the shared connection: one command, a pipeline, or a transaction.
 *
 * Each request's commands go out as one ioredis pipeline, which ioredis writes to the socket in a single write.
 * That is what makes /multi-exec safe on a shared connection: MULTI, the commands and EXEC reach Redis back to
 * back, with no other request's command in between.
 *
 * A Redis error answer (ERR, WRONGTYPE, NOSCRIPT…) belongs to its command and becomes `{ error }`. Any other
 * failure (connection down, queue flushed on disconnect) means we do not know what happened, so the whole
 * request fails with `RedisUnavailableError` instead.
 */
import type { Cluster, Pipeline, Redis } from "ioredis";
import { refusal } from "./command-policy";
import { isReplyError, rawCommand, type Argv, type RawReply } from "./raw-command";
import { adaptScriptCommand } from "./upstash-script-flags";

export type CommandOutcome = { readonly reply: RawReply } | { readonly error: string };

export type TransactionOutcome =
  | { readonly committed: readonly CommandOutcome[] }
  /** Nothing ran: a command was refused, or Redis rejected one while queueing (EXECABORT). */
  | { readonly discarded: string };

/**
 * Redis could not be reached, or the connection dropped before every reply arrived. The handler answers 503.
 *
 * @example
 * throw new RedisUnavailableError("Stream isn't writeable and enableOfflineQueue options is false");
 */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/**
 * In front of a Redis Cluster, one request's commands span more than one slot: a pipeline goes to one node,
 * so ioredis refuses it before sending anything (nothing ran). The handler answers 400.
 */
export class CrossSlotError extends Error {
  override readonly name = "CrossSlotError";
}

/** ioredis's two wordings: keys of different commands, or of one command, in different slots. */
const CROSS_SLOT = /keys in (the|a) pipeline.* should belong to the same slot/i;

/**
 * Runs commands in order, not atomically; refused commands answer an error without reaching Redis.
 *
 * @example
 * await runPipeline(redis, [["SET", "k", "v"], ["INCR", "k"]]);
 * // [{ reply: Buffer<"OK"> }, { error: "ERR value is not an integer or out of range" }]
 */
export async function runPipeline(
  redis: Redis | Cluster,
  commands: readonly Argv[],
  /** `allowWait`: on a dedicated connection (dedicated-connections.ts), where WAIT blocks nobody else. */
  options: { allowWait?: boolean } = {},
): Promise<CommandOutcome[]> {
  const outcomes: CommandOutcome[] = [];
  const sent: { argv: Argv; index: number }[] = [];
  commands.forEach((argv, index) => {
    const refused = refusal(argv, options);
    if (refused === undefined) sent.push({ argv, index });
    else outcomes[index] = { error: refused };
  });
  const replies = await send(redis, sent.map(({ argv }) => argv));
  sent.forEach(({ index }, position) => {
    outcomes[index] = toOutcome(replies[position]!);
  });
  return outcomes;
}

/**
 * Runs commands inside MULTI/EXEC. Errors raised while running (e.g. WRONGTYPE) do not stop the others, as in
 * Redis and as Upstash documents; errors raised while queueing (unknown command, wrong arity) discard it all.
 *
 * @example
 * await runTransaction(redis, [["SET", "k", "1"], ["INCR", "k"]]);
 * // { committed: [{ reply: Buffer<"OK"> }, { reply: "2" }] }
 */
export async function runTransaction(redis: Redis | Cluster, commands: readonly Argv[]): Promise<TransactionOutcome> {
  for (const argv of commands) {
    const refused = refusal(argv);
    if (refused !== undefined) return { discarded: refused };
  }
  const replies = await send(redis, [["MULTI"], ...commands, ["EXEC"]]);
  // The first queueing error says more than the EXECABORT that follows it.
  const queueError = replies.slice(0, -1).find(([error]) => error !== null)?.[0];
  if (queueError) return { discarded: queueError.message };
  const [execError, execReply] = replies[replies.length - 1]!;
  if (execError) return { discarded: execError.message };
  if (!Array.isArray(execReply)) return { discarded: "EXECABORT Transaction discarded" };
  return {
    committed: execReply.map((reply) => (reply instanceof Error ? { error: reply.message } : { reply })),
  };
}

type PipelineReply = [error: Error | null, reply: RawReply];

async function send(redis: Redis | Cluster, commands: readonly Argv[]): Promise<PipelineReply[]> {
  if (commands.length === 0) return [];
  // `pipeline()` is typed as a chain of named commands; the object is a Pipeline, which takes raw commands.
  const pipeline = redis.pipeline() as unknown as Pipeline;
  const adapted = commands.map(adaptScriptCommand);
  for (const { argv } of adapted) pipeline.sendCommand(rawCommand(argv));
  let replies: PipelineReply[];
  try {
    replies = ((await pipeline.exec()) ?? []) as PipelineReply[];
  } catch (error) {
    if (CROSS_SLOT.test(describe(error))) {
      throw new CrossSlotError(
        "ERR CROSSSLOT upstash-local is in front of a Redis Cluster: the commands of one pipeline or transaction must all use keys of one slot (give them one {hash tag}); nothing ran",
        { cause: error },
      );
    }
    throw new RedisUnavailableError(describe(error), { cause: error });
  }
  const failure = replies.find(([error]) => error !== null && !isReplyError(error));
  if (failure && CROSS_SLOT.test(describe(failure[0]))) {
    throw new CrossSlotError("ERR CROSSSLOT upstash-local is in front of a Redis Cluster: a command's keys must all be in one slot; nothing ran");
  }
  if (failure) throw new RedisUnavailableError(describe(failure[0]), { cause: failure[0] });
  return replies.map(([error, reply], index) => [error, error ? reply : adapted[index]!.reply(reply)]);
}

function toOutcome([error, reply]: PipelineReply): CommandOutcome {
  return error ? { error: error.message } : { reply };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
