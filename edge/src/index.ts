/** The Worker: `wrangler dev` / `wrangler deploy` entry point (wrangler.toml `main`). */
import { createApp } from "./app";

const app = createApp();

export default { fetch: app.fetch };
