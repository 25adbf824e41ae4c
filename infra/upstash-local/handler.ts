/**
 * The HTTP request handler: route → authenticate → read body → run → encode. Every non-200 answer is thrown as
 * an `HttpError` (or a `RedisUnavailableError`) and turned into `{ "error": … }` in one place, `answerError`.
 *
 * Status codes as Upstash documents them: 200 with `{ result }` (or an array of `{ result }`/`{ error }` for
 * /pipeline and /multi-exec), 400 for a failed command or a bad body, 401 for a missing or wrong token, 405
 * for a method a route does not take. Added here: 400 for a pipeline spanning a cluster's slots,
 * 404 for an unknown route, 413 for an oversized body, 503
 * while Redis is unreachable, 500 for a bug.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { containsWait } from "./dedicated-connections";
import { encodeResult, type ResponseEncoding } from "./encoding";
import { HttpError } from "./http-error";
import { toJsonText, type JsonValue } from "./json-text";
import { parseCommand, parseCommands } from "./parse-commands";
import type { Argv } from "./raw-command";
import { readBody } from "./read-body";
import type { RedisConnection } from "./redis-connection";
import { matchRoute, type Route } from "./routes";
import { CrossSlotError, RedisUnavailableError, runPipeline, runTransaction, type CommandOutcome } from "./run-commands";

export interface HandlerOptions {
  readonly connection: RedisConnection;
  readonly isAuthorized: (headers: IncomingMessage["headers"], url: URL) => boolean;
  readonly maxBodyBytes: number;
}

/**
 * @example
 * http.createServer(createRequestHandler({ connection, isAuthorized: tokenCheck(token), maxBodyBytes }));
 */
export function createRequestHandler(options: HandlerOptions): RequestListener {
  return async function handleUpstashRequest(req, res) {
    try {
      const { status, body } = await answer(req, options);
      send(res, status, body);
    } catch (error) {
      answerError(res, error, options.connection);
    }
  };
}

interface Answer {
  readonly status: number;
  readonly body: JsonValue;
}

async function answer(req: IncomingMessage, { connection, isAuthorized, maxBodyBytes }: HandlerOptions): Promise<Answer> {
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://upstash-local");
  const route = matchRoute(method, url);
  if (route.kind === "not-found") throw new HttpError(404, `ERR ${route.message}`);
  if (route.kind === "method-not-allowed") {
    throw new HttpError(405, `ERR method ${method} is not allowed here`, { allow: route.allow });
  }
  if (!isAuthorized(req.headers, url)) throw new HttpError(401, "Unauthorized: missing or invalid bearer token");

  const format = header(req, "upstash-response-format");
  if (format !== undefined && format.toLowerCase() !== "json") {
    throw new HttpError(400, `ERR Upstash-Response-Format '${format}' is not supported by upstash-local (json only)`);
  }
  const encoding: ResponseEncoding = header(req, "upstash-encoding")?.toLowerCase() === "base64" ? "base64" : "utf8";
  const body = await readBody(req, maxBodyBytes);
  const { redis } = connection;

  switch (route.kind) {
    case "command":
    case "path": {
      const argv = route.kind === "command" ? parseCommand(body) : pathArgv(route, body);
      const outcome = (await runPipeline(redis, [argv]))[0]!;
      if ("error" in outcome) return { status: 400, body: { error: outcome.error } };
      return { status: 200, body: { result: encodeResult(outcome.reply, encoding) } };
    }
    case "pipeline": {
      const commands = parseCommands(body);
      const outcomes = containsWait(commands) ? await connection.dedicated.run(commands) : await runPipeline(redis, commands);
      return { status: 200, body: outcomes.map((outcome) => encodeOutcome(outcome, encoding)) };
    }
    case "multi-exec": {
      const outcome = await runTransaction(redis, parseCommands(body));
      if ("discarded" in outcome) return { status: 400, body: { error: outcome.discarded } };
      return { status: 200, body: outcome.committed.map((entry) => encodeOutcome(entry, encoding)) };
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Path segments, then the POST body (raw bytes) if there is one, then `?NAME=value` pairs as `NAME value`. */
function pathArgv(route: Extract<Route, { kind: "path" }>, body: Buffer): Argv {
  const fromQuery = route.query.flatMap(([name, value]) => (value === "" ? [name] : [name, value]));
  return [...route.argv, ...(body.length > 0 ? [body] : []), ...fromQuery];
}

function encodeOutcome(outcome: CommandOutcome, encoding: ResponseEncoding): JsonValue {
  return "error" in outcome ? { error: outcome.error } : { result: encodeResult(outcome.reply, encoding) };
}

function answerError(res: ServerResponse, error: unknown, connection: RedisConnection): void {
  if (error instanceof HttpError) return send(res, error.status, { error: error.message }, error.headers);
  if (error instanceof CrossSlotError) return send(res, 400, { error: error.message });
  if (error instanceof RedisUnavailableError) {
    return send(res, 503, { error: `ERR upstash-local cannot reach Redis at ${connection.describeOutage(error.message)}` });
  }
  const reason = error instanceof Error ? error.message : String(error);
  send(res, 500, { error: `ERR upstash-local failed: ${reason}` });
}

function send(res: ServerResponse, status: number, body: JsonValue, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return void res.destroy();
  const text = toJsonText(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
