/**
 * A queue: its counts as tabs (one per state, cursor-paginated), pause/resume, and for the dead tab the
 * dead-letter view: replay one job, the ticked ones, or all of them, and purge.
 */
import { JOB_STATES, type JobDetail, type JobPage, type JobState, type QueueDetail, type QueueLimits } from "../../../../shared/src/index";
import { ActionForm, Layout, StateBadge, Time } from "./layout";

export interface QueueView {
  queue: QueueDetail;
  /** The flow-control limits in effect (PUT /v1/admin/queues/{name}/limits changes them). */
  limits?: QueueLimits;
  state: JobState;
  page: JobPage;
  /** The cursor this page was read with (undefined for the first page). */
  cursor: string | undefined;
  csrf: string;
  notice?: { kind: "ok" | "error"; text: string } | undefined;
}

/** The time that matters for a job in each state, and its column heading. */
const WHEN: Record<JobState, { heading: string; of: (job: JobDetail) => string | null }> = {
  waiting: { heading: "Enqueued", of: (job) => job.createdAt },
  delayed: { heading: "Runs at", of: (job) => job.runAt },
  active: { heading: "Started", of: (job) => job.startedAt },
  completed: { heading: "Finished", of: (job) => job.finishedAt },
  dead: { heading: "Died", of: (job) => job.finishedAt },
  cancelled: { heading: "Cancelled", of: (job) => job.finishedAt },
};

const jobHref = (id: string) => `/dashboard/jobs/${encodeURIComponent(id)}`;

function JobRow(props: { job: JobDetail; state: JobState; csrf: string; selectable: boolean }) {
  const { job } = props;
  return (
    <tr>
      {props.selectable && (
        <td class="select">
          <input type="checkbox" name="ids" value={job.id} form="bulk-replay" aria-label={`Select ${job.id}`} />
        </td>
      )}
      <td class="id">
        <a href={jobHref(job.id)}>{job.id}</a>
      </td>
      <td data-label="Attempt">
        {job.attempt} / {job.maxAttempts}
      </td>
      <td data-label={WHEN[props.state].heading}>
        <Time iso={WHEN[props.state].of(job)} />
      </td>
      <td class="error-cell" data-label="Last error">{job.error ? <span class="error-text">{job.error.message}</span> : <span class="muted">—</span>}</td>
      {props.selectable && (
        <td class="row-action">
          <ActionForm action={`${jobHref(job.id)}/replay`} csrf={props.csrf} class="inline">
            <button type="submit" class="button small" aria-label={`Replay ${job.id}`}>
              Replay
            </button>
          </ActionForm>
        </td>
      )}
    </tr>
  );
}

/** " · rate 100/1s · concurrency 5 · throttled until …", or nothing for a queue without limits. */
function Limits(props: { limits: QueueLimits }) {
  const { rate, concurrency, throttledUntil } = props.limits;
  return (
    <>
      {rate && <> · rate limit <strong>{rate}</strong></>}
      {concurrency !== null && <> · concurrency <strong>{concurrency}</strong></>}
      {throttledUntil && (
        <>
          {" "}· <span class="badge paused">Throttled</span> until <Time iso={throttledUntil} />
        </>
      )}
    </>
  );
}

export function QueuePage(props: QueueView) {
  const { queue, state, page, csrf } = props;
  const base = `/dashboard/queues/${encodeURIComponent(queue.name)}`;
  const dead = state === "dead";
  return (
    <Layout title={`${queue.name} · ${state}`} csrf={csrf} section="queues" live notice={props.notice}>
      <p class="crumbs">
        <a href="/dashboard">Queues</a> / {queue.name}
      </p>
      <div class="title-row">
        <h1>{queue.name}</h1>
        <span id="queue-badges" data-live-region>
          {queue.paused ? <span class="badge paused">Paused</span> : <span class="badge running">Running</span>}
        </span>
        <div class="actions">
          <ActionForm action={`${base}/${queue.paused ? "resume" : "pause"}`} csrf={csrf} class="inline">
            <button type="submit" class="button">
              {queue.paused ? "Resume queue" : "Pause queue"}
            </button>
          </ActionForm>
        </div>
      </div>
      <p class="workers">
        <strong>{queue.workers.length}</strong> {queue.workers.length === 1 ? "worker" : "workers"} online ·{" "}
        {queue.totals.completed} completed, {queue.totals.failed} failed attempts, {queue.totals.stalled} stalls all time
        {props.limits && <Limits limits={props.limits} />}
      </p>
      <nav class="tabs" aria-label="Job states" id="tabs" data-live-region>
        {JOB_STATES.map((tab) => (
          <a href={`${base}?state=${tab}`} aria-current={tab === state ? "page" : undefined} class={`tab state-${tab}`}>
            {tab} <span class="tab-count">{queue.counts[tab]}</span>
          </a>
        ))}
      </nav>
      {dead && (
        <div class="dead-actions">
          <ActionForm action={`${base}/dead/replay`} csrf={csrf} id="bulk-replay" class="inline">
            <button type="submit" class="button">
              Replay selected
            </button>
          </ActionForm>
          <ActionForm action={`${base}/dead/replay`} csrf={csrf} class="inline" confirm={`Replay all ${queue.counts.dead} dead jobs of ${queue.name}?`}>
            <input type="hidden" name="all" value="1" />
            <button type="submit" class="button">
              Replay all dead
            </button>
          </ActionForm>
          <ActionForm action={`${base}/dead/purge`} csrf={csrf} class="inline" confirm={`Delete all ${queue.counts.dead} dead jobs of ${queue.name}? This cannot be undone.`}>
            <button type="submit" class="button danger">
              Purge dead
            </button>
          </ActionForm>
        </div>
      )}
      <div id="jobs" data-live-region={props.cursor === undefined ? "" : undefined}>
        {page.jobs.length === 0 ? (
          <p class="empty">No {state} jobs.</p>
        ) : (
          <div class="table-scroll">
            <table class="jobs">
              <caption class="sr-only">
                {state} jobs of {queue.name}
              </caption>
              <thead>
                <tr>
                  {dead && (
                    <th scope="col">
                      <span class="sr-only">Select</span>
                    </th>
                  )}
                  <th scope="col">Job</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">{WHEN[state].heading}</th>
                  <th scope="col">Last error</th>
                  {dead && (
                    <th scope="col">
                      <span class="sr-only">Action</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {page.jobs.map((job) => (
                  <JobRow job={job} state={state} csrf={csrf} selectable={dead} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <nav class="pager" aria-label="Pages">
        {props.cursor !== undefined && <a href={`${base}?state=${state}`}>First page</a>}
        {page.nextCursor && <a href={`${base}?state=${state}&cursor=${encodeURIComponent(page.nextCursor)}`}>Next page</a>}
      </nav>
    </Layout>
  );
}
