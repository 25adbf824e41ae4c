/** Turns the problem+json response of an error into the same status and headers with an HTML body. */
import type { Context } from "hono";
import type { Problem } from "../../../shared/src/index";
import type { DashboardEnv } from "./guard";
import { ErrorPage } from "./views/sign-in";

export async function errorPage(c: Context<DashboardEnv>, response: Response | Promise<Response>, problem: Problem): Promise<Response> {
  const answered = await response;
  const headers = new Headers(answered.headers);
  headers.delete("WWW-Authenticate");
  headers.set("Content-Type", "text/html; charset=UTF-8");
  const signedIn = c.get("session") !== undefined;
  const body = await (<ErrorPage status={problem.status} title={problem.title} detail={problem.detail} signedIn={signedIn} />).toString();
  return new Response(`<!DOCTYPE html>${body}`, { status: answered.status, headers });
}
