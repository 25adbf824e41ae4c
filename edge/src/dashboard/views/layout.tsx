/**
 * The page frame every dashboard screen shares: head (stylesheet and script from the Worker's own static
 * assets, no CDN), a skip link, the top bar with navigation and sign-out, and the notice an action left.
 * Everything rendered here goes through hono/jsx, which escapes text and attribute values; no view uses `raw`.
 */
import type { Child } from "hono/jsx";

export const STATIC = "/dashboard/static";

export interface Frame {
  title: string;
  /** CSRF token of the signed-in session; absent on the sign-in page. */
  csrf?: string;
  /** One line shown above the content, e.g. after an action. */
  notice?: { kind: "ok" | "error"; text: string } | undefined;
  /** Which nav entry is current. */
  section?: "queues" | "schedules" | "docs";
  /** Whether the client script should refresh the page's live regions. */
  live?: boolean;
}

export function Layout(props: Frame & { children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Offload`}</title>
        <link rel="stylesheet" href={`${STATIC}/dashboard.css`} />
        <link rel="icon" href="data:," />
        <script src={`${STATIC}/dashboard.js`} defer></script>
      </head>
      <body data-live={props.live ? "on" : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/dashboard">
            Offload
          </a>
          {props.csrf && (
            <nav aria-label="Main">
              <a href="/dashboard" aria-current={props.section === "queues" ? "page" : undefined}>
                Queues
              </a>
              <a href="/dashboard/schedules" aria-current={props.section === "schedules" ? "page" : undefined}>
                Schedules
              </a>
              <a href="/docs">API docs</a>
            </nav>
          )}
          {props.live && (
            <span class="live" id="live-status" data-live-status>
              Live
            </span>
          )}
          {props.csrf && (
            <form method="post" action="/dashboard/sign-out" class="signout">
              <input type="hidden" name="_csrf" value={props.csrf} />
              <button type="submit" class="button subtle">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.notice && (
            <p class={`notice ${props.notice.kind}`} role={props.notice.kind === "error" ? "alert" : "status"}>
              {props.notice.text}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A POST form carrying the session's CSRF token; every dashboard action goes through one. */
export function ActionForm(props: { action: string; csrf: string; class?: string; confirm?: string; children?: Child; id?: string }) {
  return (
    <form method="post" action={props.action} class={props.class} data-confirm={props.confirm} id={props.id}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

/** `<time>` with the ISO value as its machine-readable datetime and a short UTC rendering as its text. */
export function Time(props: { iso: string | null | undefined }) {
  if (!props.iso) return <span class="muted">—</span>;
  return (
    <time datetime={props.iso} title={props.iso}>
      {props.iso.replace("T", " ").replace(/\.\d+Z$/, "Z")}
    </time>
  );
}
