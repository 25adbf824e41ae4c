/**
 * The schedules page: every recurring schedule of every served job type (code-defined and API-made), with its
 * cadence, its next three run times, its last run and the job that run created. Read-only: schedules are
 * changed in code or through `PUT /v1/admin/schedules/{id}`. All text goes through hono/jsx's escaping.
 */
import { Layout } from "./layout";

/** A schedule as the page shows it; times are ISO 8601 (UTC). */
export interface ScheduleRow {
  id: string;
  job: string;
  /** "cron 0 2 * * * (Europe/Berlin)" or "every 30s". */
  cadence: string;
  source: string;
  nextRuns: string[];
  lastRun: { at: string; jobId: string } | null;
}

const time = (iso: string) => <time datetime={iso}>{iso.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>;

export function SchedulesPage(props: { schedules: ScheduleRow[]; csrf: string }) {
  const { schedules } = props;
  return (
    <Layout title="Schedules" csrf={props.csrf} section="schedules">
      <h1>Schedules</h1>
      {schedules.length === 0 ? (
        <p class="empty">No schedules.</p>
      ) : (
        <div class="table-scroll">
          <table class="jobs schedules" id="schedules">
            <caption class="sr-only">Recurring schedules</caption>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Job</th>
                <th scope="col">When</th>
                <th scope="col">Next runs</th>
                <th scope="col">Last run</th>
                <th scope="col">Last job</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr data-schedule={s.id}>
                  <th scope="row">
                    {s.id}
                    <br />
                    <span class="muted">{s.source}</span>
                  </th>
                  <td>
                    <a href={`/dashboard/queues/${encodeURIComponent(s.job)}`}>{s.job}</a>
                  </td>
                  <td>{s.cadence}</td>
                  <td data-next-runs>
                    {s.nextRuns.length === 0 ? (
                      "—"
                    ) : (
                      <ol class="plain">
                        {s.nextRuns.map((iso) => (
                          <li>{time(iso)}</li>
                        ))}
                      </ol>
                    )}
                  </td>
                  <td data-last-run>{s.lastRun ? time(s.lastRun.at) : "never"}</td>
                  <td data-last-job>{s.lastRun ? <a href={`/dashboard/jobs/${encodeURIComponent(s.lastRun.jobId)}`}>{s.lastRun.jobId}</a> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
