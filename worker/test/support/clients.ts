/**
 * A worker's connections as the server lists them (CLIENT LIST), by the names the worker gives them
 * (`offload:<workerId>:commands`, `offload:<workerId>:blocking:<queue>`): for tests that wait for a BLMOVE or
 * drop a connection from the server's side, as a network fault would.
 */
import type { Redis } from "ioredis";

/** The CLIENT LIST line of the connection named `name`, or undefined while there is none. */
export async function clientLine(redis: Redis, name: string): Promise<string | undefined> {
  return String(await redis.client("LIST")).split("\n").find((line) => line.includes(` name=${name} `));
}

/** Closes the connection named `name` on the server (it must exist). */
export async function killClient(redis: Redis, name: string): Promise<void> {
  const line = await clientLine(redis, name);
  if (!line) throw new Error(`no client named ${name}`);
  await redis.client("KILL", "ID", /\bid=(\d+)/.exec(line)![1]!);
}
