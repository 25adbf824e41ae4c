/**
 * Maps method + URL to what the request asks for, following the Upstash REST docs:
 * - `POST /` with a JSON array body: one command, e.g. `["SET","k","v"]`;
 * - `POST /pipeline` and `POST /multi-exec` with an array of such arrays;
 * - path style, `GET|POST /set/k/v`: the path segments (URL-decoded) are the command; a POST body, if any, is
 *   appended as the last argument (raw bytes, so binary values survive), then each query parameter `?EX=100`
 *   as `EX 100`.
 * PUT is accepted wherever POST is and HEAD wherever GET is, as Upstash allows both.
 * `/monitor` and `/subscribe`-style routes stream server-sent events on Upstash; they are not provided here.
 */
import type { Argv } from "./raw-command";

export type Route =
  | { readonly kind: "command" }
  | { readonly kind: "pipeline" }
  | { readonly kind: "multi-exec" }
  /** Path style; `argv` still lacks the request body, which the handler appends once read. */
  | { readonly kind: "path"; readonly argv: Argv; readonly query: readonly [string, string][] }
  | { readonly kind: "not-found"; readonly message: string }
  | { readonly kind: "method-not-allowed"; readonly allow: string };

const BODY_METHODS = new Set(["POST", "PUT"]);
const ANY_METHOD = new Set(["GET", "HEAD", "POST", "PUT"]);
const STREAMING_ROUTES = new Set(["monitor", "subscribe", "psubscribe"]);
/** Command names are words (GET, JSON.SET, CLIENT-like); anything else is not a route, not a command. */
const COMMAND_NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;
/** Query parameters that are not command arguments. */
const RESERVED_QUERY = new Set(["_token"]);

/**
 * @example
 * matchRoute("POST", new URL("http://localhost/pipeline")); // { kind: "pipeline" }
 * matchRoute("GET", new URL("http://localhost/set/k/v?EX=100"));
 * // { kind: "path", argv: ["set", "k", "v"], query: [["EX", "100"]] }
 */
export function matchRoute(method: string, url: URL): Route {
  const segments = url.pathname.split("/").slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
  const [first = "", ...rest] = segments;

  if (first === "" && rest.length === 0) {
    return BODY_METHODS.has(method) ? { kind: "command" } : notAllowed(BODY_METHODS);
  }
  if (first === "pipeline" || first === "multi-exec") {
    if (rest.length > 0) return { kind: "not-found", message: `no route ${url.pathname}` };
    if (!BODY_METHODS.has(method)) return notAllowed(BODY_METHODS);
    return { kind: first };
  }
  if (STREAMING_ROUTES.has(first.toLowerCase())) {
    const message = `/${first} streams server-sent events on Upstash; upstash-local does not provide it`;
    return { kind: "not-found", message };
  }
  const decoded = decodeSegments(segments);
  if (decoded === undefined || !COMMAND_NAME.test(decoded[0])) {
    return { kind: "not-found", message: `no route ${url.pathname}` };
  }
  if (!ANY_METHOD.has(method)) return notAllowed(ANY_METHOD);
  const query = [...url.searchParams].filter(([name]) => !RESERVED_QUERY.has(name));
  return { kind: "path", argv: decoded, query };
}

function notAllowed(methods: Set<string>): Route {
  return { kind: "method-not-allowed", allow: [...methods].join(", ") };
}

function decodeSegments(segments: string[]): Argv | undefined {
  try {
    const [name = "", ...args] = segments.map((segment) => decodeURIComponent(segment));
    return [name, ...args];
  } catch {
    return undefined;
  }
}
