/**
 * Validates JSON command bodies. Arguments may be strings, numbers or booleans, as the Upstash clients send
 * them (`["SET", "k", "v", "EX", 100]`); numbers and booleans are passed to Redis as their text.
 */
import { z } from "zod";
import { HttpError } from "./http-error";
import type { Argv } from "./raw-command";

const argument = z.union([z.string(), z.number(), z.boolean()]);
const command = z.array(argument).min(1);
const commands = z.array(command).min(1);

/**
 * Parses `POST /` bodies.
 *
 * @example
 * parseCommand(Buffer.from('["SET","k","v","EX",100]')); // ["SET", "k", "v", "EX", "100"]
 */
export function parseCommand(body: Buffer): Argv {
  const parsed = command.safeParse(parseJson(body));
  if (!parsed.success) {
    throw new HttpError(400, 'ERR the body must be a JSON array holding a command and its arguments, e.g. ["SET","k","v"]');
  }
  return toArgv(parsed.data);
}

/**
 * Parses `POST /pipeline` and `POST /multi-exec` bodies.
 *
 * @example
 * parseCommands(Buffer.from('[["SET","k","v"],["GET","k"]]')); // [["SET", "k", "v"], ["GET", "k"]]
 */
export function parseCommands(body: Buffer): Argv[] {
  const parsed = commands.safeParse(parseJson(body));
  if (!parsed.success) {
    throw new HttpError(400, 'ERR the body must be a non-empty JSON array of commands, e.g. [["SET","k","v"],["GET","k"]]');
  }
  return parsed.data.map(toArgv);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "ERR the body is not valid JSON");
  }
}

function toArgv([name, ...args]: (string | number | boolean)[]): Argv {
  return [String(name), ...args.map(String)];
}
