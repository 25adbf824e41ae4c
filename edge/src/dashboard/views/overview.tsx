/** The overview: one card per queue with its counts, workers, sparklines, paused badge and growth warning. */
import type { QueueDetail } from "../../../../shared/src/index";
import { depthGrowing, failureRate, GROWTH_MINUTES, throughput, type Series } from "../history";
import { Layout } from "./layout";
import { Sparkline } from "./sparkline";

const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)} %`);

function Trend(props: { title: string; series: Series; kind: "throughput" | "failure"; window: string }) {
  const total = props.kind === "throughput" ? `${props.series.total ?? 0} done` : percent(props.series.total);
  const label = `${props.title}, ${props.window}: ${total}`;
  return (
    <div class="trend">
      <span class="trend-label">
        {props.title} <span class="muted">{props.window}</span>
      </span>
      <Sparkline values={props.series.values} label={label} kind={props.kind} max={props.kind === "failure" ? 1 : undefined} />
      <span class="trend-total">{total}</span>
    </div>
  );
}

function QueueCard(props: { queue: QueueDetail }) {
  const { queue } = props;
  const growing = depthGrowing(queue.history);
  const href = `/dashboard/queues/${encodeURIComponent(queue.name)}`;
  return (
    <article class="card queue-card" aria-labelledby={`q-${queue.name}`} data-queue={queue.name}>
      <header class="card-head">
        <h2 id={`q-${queue.name}`}>
          <a href={href}>{queue.name}</a>
        </h2>
        {queue.paused && <span class="badge paused">Paused</span>}
      </header>
      {growing && (
        <p class="warning" role="status">
          Waiting has grown every minute for {GROWTH_MINUTES} minutes
        </p>
      )}
      <dl class="counts">
        {(["waiting", "active", "delayed", "dead"] as const).map((state) => (
          <div class={`count state-${state}`}>
            <dt>
              <a href={`${href}?state=${state}`}>{state}</a>
            </dt>
            <dd data-count={state}>{queue.counts[state]}</dd>
          </div>
        ))}
      </dl>
      <p class="workers">
        <strong>{queue.workers.length}</strong> {queue.workers.length === 1 ? "worker" : "workers"} online
      </p>
      <div class="trends">
        <Trend title="Throughput" window="1 h" kind="throughput" series={throughput(queue.history, 60, 1)} />
        <Trend title="Throughput" window="24 h" kind="throughput" series={throughput(queue.history, 1_440, 30)} />
        <Trend title="Failure rate" window="1 h" kind="failure" series={failureRate(queue.history, 60, 1)} />
        <Trend title="Failure rate" window="24 h" kind="failure" series={failureRate(queue.history, 1_440, 30)} />
      </div>
    </article>
  );
}

export function OverviewPage(props: { queues: QueueDetail[]; csrf: string; notice?: { kind: "ok" | "error"; text: string } }) {
  return (
    <Layout title="Queues" csrf={props.csrf} section="queues" live notice={props.notice}>
      <h1>Queues</h1>
      <div class="cards" id="overview" data-live-region>
        {props.queues.map((queue) => (
          <QueueCard queue={queue} />
        ))}
      </div>
    </Layout>
  );
}
