import { describe, expect, test } from "vitest";
import { JOB_STATES, type JobDetail, type JobState } from "../../../../shared/src/index";
import { JobPage, timelineOf } from "./job";

const job = (state: JobState): JobDetail => ({
  id: "webhook.mfz3k2x9q1a8b7c6",
  name: "webhook",
  state,
  attempt: 1,
  maxAttempts: 3,
  createdAt: "2026-01-01T00:00:00.000Z",
  runAt: null,
  startedAt: null,
  finishedAt: null,
  progress: null,
  result: undefined,
  error: null,
  stalls: 0,
  priority: 5,
  data: {},
  options: {},
  errors: [],
});

const actionsOf = async (state: JobState) => {
  const html = String(await JobPage({ job: job(state), queue: "webhook", csrf: "t" }).toString());
  return [...html.matchAll(/<form method="post" action="\/dashboard\/jobs\/webhook\.mfz3k2x9q1a8b7c6\/(\w+)"[\s\S]*?<button[^>]*>([^<]*)<\/button>/g)].map(
    ([, path, label]) => `${path} ${label}`,
  );
};

describe("JobPage actions", () => {
  test("each state offers at most its one action", async () => {
    const offered = Object.fromEntries(await Promise.all(JOB_STATES.map(async (state) => [state, await actionsOf(state)])));
    expect(offered).toEqual({
      waiting: [],
      delayed: ["promote Run now"],
      active: [],
      completed: [],
      dead: ["replay Replay"],
      cancelled: ["retry Retry"],
    });
  });
});

describe("timelineOf", () => {
  const T = (minute: number) => `2026-01-01T00:0${minute}:00.000Z`;
  const titles = (detail: JobDetail) => timelineOf(detail).map((event) => event.title);
  const failure = (attempt: number, minute: number) => ({ message: `boom ${attempt}`, attempt, at: T(minute) });

  test("ordinary retries: each failed attempt, then the current one", () => {
    const retried = { ...job("completed"), attempt: 2, startedAt: T(3), finishedAt: T(4), errors: [failure(1, 1)] };
    expect(titles(retried)).toEqual(["Created", "Attempt 1 failed", "Started attempt 2", "Completed"]);
  });

  test("replayed and completed: the earlier run's failures, sent back, then the new run from attempt 1", () => {
    const replayed = { ...job("completed"), attempt: 1, startedAt: T(5), finishedAt: T(6), errors: [failure(1, 1), failure(2, 2)] };
    expect(titles(replayed)).toEqual([
      "Created",
      "Attempt 1 failed",
      "Attempt 2 failed",
      "Sent back to waiting: attempts start again from 1",
      "Started attempt 1",
      "Completed",
    ]);
    expect(timelineOf(replayed).find((event) => event.kind === "requeued")?.at).toBeNull();
  });

  test("replayed and waiting (attempts reset): the earlier start has no attempt number, no 'attempt 0'", () => {
    const waiting = { ...job("waiting"), attempt: 0, startedAt: T(1), errors: [failure(1, 2)] };
    expect(titles(waiting)).toEqual(["Created", "Started", "Attempt 1 failed", "Sent back to waiting: attempts start again from 1"]);
  });

  test("replayed and dead again: the marker sits between the two runs", () => {
    const again = { ...job("dead"), attempt: 1, startedAt: T(3), finishedAt: T(4), errors: [failure(1, 1), failure(1, 4)] };
    expect(titles(again)).toEqual([
      "Created",
      "Attempt 1 failed",
      "Sent back to waiting: attempts start again from 1",
      "Started attempt 1",
      "Attempt 1 failed",
      "Finished: dead",
    ]);
  });
});

describe("JobPage content", () => {
  test("shows payload, options, result and progress, every job-supplied string escaped", async () => {
    const detail: JobDetail = {
      ...job("completed"),
      progress: 40,
      data: { html: "<script>alert(1)</script>" },
      options: { backoffMs: 250 },
      result: { note: "<b>done</b>" },
      startedAt: "2026-01-01T00:01:00.000Z",
      finishedAt: "2026-01-01T00:02:00.000Z",
    };
    const html = String(await JobPage({ job: detail, queue: "webhook", csrf: "t" }).toString());
    expect(html).toContain('<progress max="100" value="40" aria-label="Progress">');
    expect(html).toMatch(/data-field="payload">[^<]*&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    expect(html).toMatch(/data-field="options">[^<]*&quot;backoffMs&quot;: 250/);
    expect(html).toMatch(/data-field="result">[^<]*&lt;b&gt;done&lt;\/b&gt;/);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>done");
  });
});
