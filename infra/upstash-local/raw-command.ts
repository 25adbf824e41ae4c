/**
 * Sending a command to Redis and getting back exactly what Redis said.
 *
 * ioredis normally reshapes replies: `hgetall` becomes an object, `hrandfield`/`zrange … WITHSCORES` pairs get
 * regrouped under RESP3, and arguments to `hset`/`mset` given as an object are flattened. Upstash returns the raw
 * RESP2 reply, so we must not let any of that happen. Three things see to it:
 * - the connection speaks RESP2 (`protocol: 2`, see redis-connection.ts), so maps are flat arrays and scores are
 *   strings, as Upstash returns them;
 * - `RawCommand` returns replies untouched, and the command name is sent upper-cased: ioredis looks up its
 *   argument and reply transformers by the exact lower-case name, so "HSET" never meets the one that would turn
 *   a Buffer argument into an array of its bytes;
 * - no reply encoding is set, so every string comes back as a Buffer (binary-safe), and `stringNumbers` makes
 *   every integer a string of digits (exact beyond 2^53).
 */
import { Command, ReplyError } from "ioredis";

/**
 * A reply as RESP2 gave it: Buffer for a simple or bulk string, a string of digits for an integer, null for nil,
 * an Error for an error nested in an array (EXEC, Lua), and arrays of these.
 */
export type RawReply = Buffer | string | null | Error | RawReply[];

/** A command as the client sent it: its name, then its arguments. */
export type Argv = readonly [name: string, ...args: (string | Buffer)[]];

class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/**
 * @example
 * pipeline.sendCommand(rawCommand(["hgetall", "h"])); // replies [Buffer<"f">, Buffer<"v">], not { f: "v" }
 */
export function rawCommand(argv: Argv): Command {
  const [name, ...args] = argv;
  return new RawCommand(name.toUpperCase(), args);
}

/**
 * True for an error Redis answered with (as opposed to a connection failure inside ioredis).
 *
 * @example
 * const [[error]] = (await pipeline.exec())!;
 * if (error && !isReplyError(error)) throw new RedisUnavailableError(error.message);
 */
export function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}
