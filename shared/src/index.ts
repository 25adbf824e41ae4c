/** The shared package: job definitions, envelope, record, keys, scripts and the errors both sides raise. */
export * from "./backoff";
export * from "./duration";
export * from "./envelope";
export * from "./errors";
export * from "./ids";
export * from "./job-definition";
export * from "./jobs/index";
export * from "./keys";
export * from "./record";
export * from "./script-runner";
export * from "./ops/enqueue";
export * from "./ops/claim";
export * from "./ops/settle";
export * from "./ops/tick";
export * from "./ops/read";
export * from "./ops/recover";
export * from "./ops/admin";
