/**
 * One job: state, attempts, progress, a timeline (created → started → each failed attempt with its error →
 * finished), payload, options and result. Payloads, results and errors are untrusted and shown as text in
 * <pre> blocks (JSON.stringify, then escaped by hono/jsx).
 */
import type { Child } from "hono/jsx";
import type { JobDetail, JobState } from "../../../../shared/src/index";
import { ActionForm, Layout, StateBadge, Time } from "./layout";

interface TimelineEvent {
  at: string | null;
  title: string;
  detail?: string | undefined;
  kind: "created" | "scheduled" | "started" | "failed" | "requeued" | "finished";
  /** Where the event sorts when it has no time of its own (the re-queue after a replay or retry). */
  sortAt?: string | undefined;
}

/**
 * Events in time order; failed attempts without a time keep their order, before the finish.
 *
 * A replayed (or retried) job starts its attempts again from 1 and keeps the errors of its earlier run, so
 * the record alone would read "attempt 1 failed" before "started attempt 1". The errors of the earlier run are
 * the ones from before the current start with an attempt number at or past the current one (or all of them
 * while the job waits with its attempts reset); a "sent back" event follows the last of them. The record keeps
 * no time for the re-queue itself, so that event shows none. startedAt is the earlier run's while attempts
 * are reset (attempt 0), so it is shown without an attempt number.
 */
export function timelineOf(job: JobDetail): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const reset = job.attempt === 0 && (job.state === "waiting" || job.state === "delayed");
  if (job.createdAt) events.push({ at: job.createdAt, title: "Created", kind: "created" });
  if (job.runAt && job.runAt !== job.createdAt && (job.state === "delayed" || job.startedAt === null || job.runAt < job.startedAt)) {
    events.push({ at: job.runAt, title: job.state === "delayed" ? "Runs at" : "Due", kind: "scheduled" });
  }
  let lastOfEarlierRun: string | undefined;
  let earlierRun = false;
  for (const error of job.errors) {
    const title = error.attempt === undefined ? "Attempt failed" : `Attempt ${error.attempt} failed`;
    const detail = error.reason ? `${error.message} (${error.reason})` : error.message;
    events.push({ at: error.at ?? null, title, detail, kind: "failed" });
    const beforeThisRun = job.startedAt !== null && error.at !== undefined && error.at < job.startedAt && (error.attempt ?? 0) >= job.attempt;
    if (reset || beforeThisRun) {
      earlierRun = true;
      if (error.at !== undefined && (lastOfEarlierRun === undefined || error.at > lastOfEarlierRun)) lastOfEarlierRun = error.at;
    }
  }
  if (earlierRun) {
    events.push({ at: null, sortAt: lastOfEarlierRun ?? job.startedAt ?? job.createdAt ?? undefined, title: "Sent back to waiting: attempts start again from 1", kind: "requeued" });
  }
  if (job.startedAt) events.push({ at: job.startedAt, title: reset ? "Started" : `Started attempt ${job.attempt}`, kind: "started" });
  if (job.finishedAt) events.push({ at: job.finishedAt, title: job.state === "completed" ? "Completed" : `Finished: ${job.state}`, kind: "finished" });
  // Stable sort by time; events without a time sort just before the finish.
  const key = (event: TimelineEvent) => event.at ?? event.sortAt ?? job.finishedAt ?? "9999";
  return events.map((event, index) => ({ event, index })).sort((a, b) => (key(a.event) < key(b.event) ? -1 : key(a.event) > key(b.event) ? 1 : a.index - b.index)).map(({ event }) => event);
}

/** The one action a job's page offers in the states that have one: the form's path below the job, and its button. */
const ACTION_OF_STATE: Partial<Record<JobState, { path: string; label: string }>> = {
  dead: { path: "replay", label: "Replay" },
  cancelled: { path: "retry", label: "Retry" },
  delayed: { path: "promote", label: "Run now" },
};

/** One row of the facts list: a term and what it is for this job. */
function Fact(props: { term: string; children?: Child }) {
  return (
    <div>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

const pretty = (value: unknown) => (value === undefined ? "" : JSON.stringify(value, null, 2) ?? String(value));

export function JobPage(props: { job: JobDetail; queue: string; csrf: string; notice?: { kind: "ok" | "error"; text: string } | undefined }) {
  const { job, csrf } = props;
  const href = `/dashboard/jobs/${encodeURIComponent(job.id)}`;
  const action = ACTION_OF_STATE[job.state];
  const queueHref = `/dashboard/queues/${encodeURIComponent(props.queue)}`;
  return (
    <Layout title={job.id} csrf={csrf} section="queues" live notice={props.notice}>
      <p class="crumbs">
        <a href="/dashboard">Queues</a> / <a href={`${queueHref}?state=${job.state}`}>{props.queue}</a> / job
      </p>
      <div class="title-row">
        <h1 class="job-id">{job.id}</h1>
        <div class="actions">
          {action && (
            <ActionForm action={`${href}/${action.path}`} csrf={csrf} class="inline">
              <button type="submit" class="button">
                {action.label}
              </button>
            </ActionForm>
          )}
        </div>
      </div>
      <div id="job" data-live-region>
        <dl class="facts">
          <div>
            <dt>State</dt>
            <dd data-job-state={job.state}>
              <StateBadge state={job.state} />
            </dd>
          </div>
          <Fact term="Type">{job.name}</Fact>
          <Fact term="Attempt">
            {job.attempt} of {job.maxAttempts}
          </Fact>
          <Fact term="Stalls">{job.stalls}</Fact>
          <Fact term="Priority">{job.priority}</Fact>
          <Fact term="Progress">
            {job.progress === null ? (
              <span class="muted">—</span>
            ) : (
              <>
                <progress max="100" value={job.progress} aria-label="Progress">
                  {job.progress} %
                </progress>{" "}
                {job.progress} %
              </>
            )}
          </Fact>
        </dl>
        <section aria-labelledby="timeline-h">
          <h2 id="timeline-h">Timeline</h2>
          <ol class="timeline">
            {timelineOf(job).map((event) => (
              <li class={`event ${event.kind}${event.kind === "finished" ? ` ${job.state}` : ""}`}>
                <span class="event-title">{event.title}</span> {event.at && <Time iso={event.at} />}
                {event.detail !== undefined && <pre class="error-text">{event.detail}</pre>}
              </li>
            ))}
          </ol>
        </section>
        {job.error && (
          <section aria-labelledby="error-h">
            <h2 id="error-h">{job.state === "dead" || job.state === "delayed" ? "Last error" : "Error of an earlier attempt"}</h2>
            <pre class="error-text" data-field="error">
              {job.error.message}
              {job.error.reason ? `\nreason: ${job.error.reason}` : ""}
              {job.error.stack ? `\n\n${job.error.stack}` : ""}
              {job.error.raw ? `\n\nraw: ${job.error.raw}` : ""}
            </pre>
          </section>
        )}
        <div class="panels">
          <section aria-labelledby="payload-h">
            <h2 id="payload-h">Payload</h2>
            <pre data-field="payload">{pretty(job.data)}</pre>
          </section>
          <section aria-labelledby="options-h">
            <h2 id="options-h">Options</h2>
            <pre data-field="options">{pretty(job.options)}</pre>
          </section>
          <section aria-labelledby="result-h">
            <h2 id="result-h">Result</h2>
            {job.result === null || job.result === undefined ? <p class="muted">No result yet.</p> : <pre data-field="result">{pretty(job.result)}</pre>}
          </section>
        </div>
      </div>
    </Layout>
  );
}
