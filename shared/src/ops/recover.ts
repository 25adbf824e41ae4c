/** Recover: hand back in-flight entries whose claim reply was lost (see shared/scripts/recover.lua). */
import type { QueueKeys } from "../keys";
import { scriptCall, type ScriptCall } from "../script-runner";

export function recoverCall(keys: QueueKeys, workerId: string, knownEntries: Iterable<string>): ScriptCall {
  return scriptCall("recover", { active: keys.active(workerId), wait: keys.wait, meta: keys.meta, paused: keys.paused, gateWake: keys.gateWake }, [keys.jobPrefix, ...knownEntries]);
}
