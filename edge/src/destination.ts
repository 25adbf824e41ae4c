/**
 * Where a job may send requests, checked at the edge so an obviously forbidden webhook URL (loopback, private
 * ranges, cloud metadata, credentials in the URL) is a 400 now rather than a dead letter later. The worker checks
 * again against the addresses the host resolves to when it connects; this check alone proves nothing about DNS.
 */
import { JOBS, OffloadError, type JobDefinition, type ProblemIssue } from "../../shared/src/index";
import { checkWebhookUrl, type SsrfPolicy } from "../../shared/src/ssrf";

/**
 * Issues for payloads whose destination is not allowed; empty when fine or when the job has no destination.
 * @example
 * destinationIssues(webhookJob, { url: "http://127.0.0.1/" }, { allowPrivateNetworks: false }, [3, "data"])
 * // [{ path: "3.data.url", message: "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)" }]
 */
export function destinationIssues(
  definition: JobDefinition,
  data: unknown,
  policy: SsrfPolicy,
  prefix: readonly PropertyKey[] = [],
): ProblemIssue[] {
  if (definition.name !== JOBS.webhook.name) return [];
  const url = (data as { url?: unknown }).url;
  if (typeof url !== "string") return [];
  const reason = checkWebhookUrl(url, policy);
  return reason ? [{ path: [...prefix, "url"].map(String).join("."), message: reason }] : [];
}

/**
 * Issues for a completion callback URL the policy refuses (the webhook job's rules), at `path`.
 * @example
 * callbackIssues("http://10.0.0.1/", { allowPrivateNetworks: false }, ["query", "callback"])
 * // [{ path: "query.callback", message: "destination 10.0.0.1 is not allowed: private address (10.0.0.0/8)" }]
 */
export function callbackIssues(url: string | undefined, policy: SsrfPolicy, path: readonly PropertyKey[]): ProblemIssue[] {
  const reason = url === undefined ? undefined : checkWebhookUrl(url, policy);
  return reason ? [{ path: path.map(String).join("."), message: reason }] : [];
}

/**
 * Throws the 400 `forbidden_destination` problem listing every refused destination; returns when there is none.
 * @example
 * assertDestinationsAllowed(items.flatMap((item, i) => destinationIssues(definition, item.data, policy, [i, "data"])));
 */
export function assertDestinationsAllowed(issues: readonly ProblemIssue[]): void {
  if (issues.length) throw new OffloadError("forbidden_destination", issues[0]!.message, { issues: [...issues] });
}
