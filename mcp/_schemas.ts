// Zod schemas shared by the tools. Env and data label advertise exactly what the configuration
// allows, so a client sees the bounds and an out-of-bounds value is rejected, never replaced.

import { z } from "zod";
import { DATA_LABELS, type DataLabel, QOS_CLASSES } from "../src/model.ts";
import type { WcpMcpConfig } from "./config.ts";

/** Data labels inside the configured bounds, least sensitive first. */
export function labelsWithin(config: WcpMcpConfig): DataLabel[] {
  const lo = DATA_LABELS.indexOf(config.data_labels.min);
  const hi = DATA_LABELS.indexOf(config.data_labels.max);
  return DATA_LABELS.slice(lo, hi + 1);
}

/** The governance fields a caller may set, as a zod shape. */
export function callOptionsShape(config: WcpMcpConfig) {
  const envs = config.envs_allowed as [string, ...string[]];
  const labels = labelsWithin(config) as [string, ...string[]];
  return {
    env: z.enum(envs).optional().describe(`Environment (default ${config.env})`),
    data_label: z.enum(labels).optional().describe(
      `Sensitivity of the data (default ${config.data_labels.default})`,
    ),
    qos_class: z.enum(QOS_CLASSES).optional().describe(`QoS class (default ${config.qos_class})`),
    correlation_id: z.string().min(1).max(128).optional().describe(
      "Correlation id (default: new UUID)",
    ),
    blast_score: z.number().int().min(0).max(100).optional().describe(
      "Your own 0-100 blast estimate; it can raise the computed score, never lower it",
    ),
    parent_decision_id: z.string().min(1).max(128).optional().describe(
      "Decision id that dispatched the caller (worker chains)",
    ),
    approval_id: z.string().min(1).max(128).optional().describe(
      "Execute a held request after a supervisor approved it",
    ),
  };
}

/** The governance options as one strict object. */
export function callOptionsSchema(config: WcpMcpConfig) {
  return z.strictObject(callOptionsShape(config));
}

/** A request payload. */
export const requestSchema = z.record(z.string(), z.unknown());

/** A WCP capability id as the catalog writes it. */
export const capabilityIdSchema = z.string().regex(/^cap\.[a-z0-9_-]+(\.[a-z0-9_-]+){0,2}$/, {
  message: "must be a capability id such as cap.doc.summarize",
});
