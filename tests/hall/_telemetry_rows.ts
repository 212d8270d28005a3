// Telemetry for the stores' tenant-index tests (SQLite and PostgreSQL): events of one tenant, a
// batch as the hall writes it, and the event ids of one tenant's first page.
import type { HallStore, TelemetryRow } from "../../src/hall/store/types.ts";

/** An event of `tenant` in decision `decisionId` (correlation `c-<decisionId>`). */
export function tenantEvent(
  eventId: string,
  decisionId: string,
  tenant: string,
  extra: Record<string, unknown> = {},
): TelemetryRow {
  return {
    event_id: eventId,
    decision_id: decisionId,
    correlation_id: `c-${decisionId}`,
    timestamp: "2026-12-08T05:00:00.000Z",
    event: { event_id: eventId, tenant_id: tenant, ...extra },
  };
}

/** One event of `tenant` written the batch way (`appendTelemetryBatches`). */
export async function appendTenantBatch(
  store: HallStore,
  eventId: string,
  tenant: string,
): Promise<void> {
  await store.appendTelemetryBatches?.([{
    decision_id: `d-${eventId}`,
    correlation_id: `c-${eventId}`,
    events_json: JSON.stringify([{ event_id: eventId, tenant_id: tenant }]),
  }]);
}

/** The event ids of `tenant`'s first telemetry page, oldest first. */
export async function tenantPageIds(store: HallStore, tenant: string): Promise<string[]> {
  return (await store.pageTelemetry({ tenant_id: tenant })).rows.map((e) => e.event_id);
}
