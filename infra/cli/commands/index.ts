/** Every command, in the order `offload --help` lists them. */
import type { Command } from "../command";
import { enqueueCommand } from "./enqueue";
import { inspectCommand } from "./inspect";
import { jobsCommand } from "./jobs";
import { pauseQueueCommand, resumeQueueCommand } from "./pause";
import { purgeCommand } from "./purge";
import { replayCommand } from "./replay";
import { statsCommand } from "./stats";

export const COMMANDS: readonly Command[] = [
  statsCommand,
  jobsCommand,
  inspectCommand,
  replayCommand,
  purgeCommand,
  pauseQueueCommand,
  resumeQueueCommand,
  enqueueCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
