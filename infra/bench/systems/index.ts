/** One producer factory per system, by name. */
import type { SystemName } from "../bench-job";
import { beequeueProducer } from "./beequeue";
import { bullmqProducer } from "./bullmq";
import { offloadTcpProducer } from "./offload";
import type { Producer } from "./producer";

export type { Producer } from "./producer";

export const PRODUCERS: Record<SystemName, (redisUrl: string) => Promise<Producer>> = {
  offload: offloadTcpProducer,
  bullmq: bullmqProducer,
  beequeue: beequeueProducer,
};
