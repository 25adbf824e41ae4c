/**
 * The producer of pickup-profile.ts, in a process of its own (as in scenario 4), so that its reply and the worker's
 * BLMOVE reply, which Redis writes in the same event-loop turn, are not handled one after the other on one Node
 * event loop. On each IPC message `{ userId }` it enqueues one job and answers `{ sent, resolved }` (clock()).
 *
 *   started by pickup-profile.ts: node --import tsx pickup-producer.ts <offload|beequeue> <redisUrl>
 */
import { payloadFor, type SystemName } from "./bench-job";
import { PRODUCERS } from "./systems/index";
import { clock } from "./workers/protocol";

const [system, redisUrl] = process.argv.slice(2) as [SystemName, string];
const producer = await PRODUCERS[system](redisUrl);
process.on("message", (message: { userId?: number }) => {
  if (message.userId === undefined) {
    void producer.close().then(() => process.exit(0));
    return;
  }
  const sent = clock();
  void producer.enqueueOne(payloadFor(message.userId)).then(() => process.send!({ sent, resolved: clock() }));
});
process.send!({ ready: true });
