/** The sign-in form (admin key → session cookie) and the page an error renders as. */
import type { Notice } from "../notices";
import { Layout } from "./layout";

export function SignInPage(props: { error?: string | undefined; notice?: Notice | undefined; configured: boolean }) {
  return (
    <Layout title="Sign in" notice={props.error ? { kind: "error", text: props.error } : props.notice}>
      <section class="card signin" aria-labelledby="signin-h">
        <h1 id="signin-h">Sign in to Offload</h1>
        {props.configured ? (
          <form method="post" action="/dashboard/sign-in">
            <label for="key">Admin API key</label>
            <input id="key" name="key" type="password" autocomplete="current-password" required maxlength={512} autofocus />
            <p class="hint">An entry of ADMIN_API_KEYS. Producer keys cannot sign in.</p>
            <button type="submit" class="button primary">
              Sign in
            </button>
          </form>
        ) : (
          <p>No admin keys are configured. Set ADMIN_API_KEYS on the Worker to use the dashboard.</p>
        )}
      </section>
    </Layout>
  );
}

export function ErrorPage(props: { status: number; title: string; detail: string; signedIn: boolean }) {
  return (
    <Layout title={props.title}>
      <section class="card signin" aria-labelledby="error-h">
        <h1 id="error-h">{props.title}</h1>
        <p>{props.detail}</p>
        <p class="muted">HTTP {props.status}</p>
        <p>
          <a href="/dashboard">{props.signedIn ? "Back to the dashboard" : "Sign in"}</a>
        </p>
      </section>
    </Layout>
  );
}
