/**
 * Which methods a path answers, from the app's own route table, so a wrong method on a known path is a 405 with
 * `Allow` rather than a 404 that reads as "no such thing". Hono's router does not say why nothing matched, so
 * the not-found handler asks this instead. Built once per app (the route table is fixed after start-up); a miss
 * costs one regex test per route, and only on requests that are already errors.
 */

/** A route as Hono lists it in `app.routes`. Middleware appears with method `ALL` and is skipped. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** `/v1/jobs/:id` → `^/v1/jobs/[^/]+$`; `*` matches the rest; `:name{regex}` is treated as one segment. */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return segment.endsWith("?") ? "[^/]*" : "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

/**
 * @example
 * const allowed = allowedMethods(() => app.routes);
 * allowed("/v1/jobs/webhook.mfz3k2x9q1a8b7c6") // ["DELETE", "GET", "HEAD", "POST"]
 */
export function allowedMethods(routes: () => readonly RouteEntry[]): (path: string) => string[] {
  let table: { pattern: RegExp; method: string }[] | undefined;
  return (path) => {
    table ??= routes()
      .filter((route) => route.method !== "ALL")
      .map((route) => ({ pattern: patternOf(route.path), method: route.method.toUpperCase() }));
    const methods = new Set<string>();
    for (const { pattern, method } of table) {
      if (!pattern.test(path)) continue;
      methods.add(method);
      if (method === "GET") methods.add("HEAD"); // Hono answers HEAD with the GET route
    }
    return [...methods].sort();
  };
}
