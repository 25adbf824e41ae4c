import { describe, expect, test } from "vitest";
import { JOB_STATES, type JobDetail, type JobState } from "../../../../shared/src/index";
import { JobPage } from "./job";

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
