/**
 * What an action tells the operator after its redirect (POST → 303 → GET). The redirect carries a code and
 * counts, never text: the message is chosen here, so a crafted link cannot put words on the page.
 */
export type NoticeCode = "paused" | "resumed" | "replayed" | "purged" | "retried" | "promoted" | "unchanged" | "signed-out";

export interface Notice {
  kind: "ok" | "error";
  text: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Builds the query string an action redirects with. */
export function noticeQuery(code: NoticeCode, counts: { n?: number; skipped?: number; state?: string } = {}): string {
  const params = new URLSearchParams({ notice: code });
  if (counts.n !== undefined) params.set("n", String(counts.n));
  if (counts.skipped) params.set("skipped", String(counts.skipped));
  if (counts.state) params.set("was", counts.state);
  return params.toString();
}

const STATES = new Set(["waiting", "delayed", "active", "completed", "dead", "cancelled"]);

/**
 * @example
 * noticeFrom({ notice: "replayed", n: "3" }) // { kind: "ok", text: "Replayed 3 jobs." }
 */
export function noticeFrom(query: Record<string, string>): Notice | undefined {
  const n = Number(query.n ?? "0") || 0;
  const skipped = Number(query.skipped ?? "0") || 0;
  const was = STATES.has(query.was ?? "") ? query.was : undefined;
  switch (query.notice) {
    case "paused":
      return { kind: "ok", text: "Queue paused: running jobs finish, no worker starts a new one until you resume." };
    case "resumed":
      return { kind: "ok", text: "Queue resumed: workers pick up waiting jobs now." };
    case "replayed":
      return {
        kind: n === 0 && skipped > 0 ? "error" : "ok",
        text: `Replayed ${plural(n, "job", "jobs")}${skipped ? `; skipped ${skipped} (no longer dead or gone)` : ""}.`,
      };
    case "purged":
      return { kind: "ok", text: `Purged ${plural(n, "dead job", "dead jobs")}.` };
    case "retried":
      return { kind: "ok", text: "The job is waiting to run again." };
    case "promoted":
      return { kind: "ok", text: "The job is waiting to run now." };
    case "unchanged":
      return { kind: "error", text: `Nothing changed: the job is ${was ?? "in another state"} now.` };
    case "signed-out":
      return { kind: "ok", text: "Signed out." };
    default:
      return undefined;
  }
}
