/**
 * `digest`: iterated SHA-256, real CPU work. Runs inside the thread pool (its definition says runIn: "thread").
 */
import { createHash } from "node:crypto";
import type { PayloadOf } from "../../../shared/src/jobs/index";

export function digest(data: PayloadOf<"digest">): { digest: string; rounds: number } {
  let value = Buffer.from(data.text);
  for (let i = 0; i < data.rounds; i++) value = createHash("sha256").update(value).digest();
  return { digest: value.toString("hex"), rounds: data.rounds };
}
