/**
 * The event log: the one durable record of the floor. Events, configuration,
 * alerts and the audit trail live behind this interface so that another store
 * (Redis Streams for several nodes) can replace the embedded SQLite one.
 */
import type { FloorEvent } from '../../shared/events.ts';
import type { FloorConfig } from '../../shared/config.ts';
import type { Alert } from '../../shared/state.ts';

export interface AppendResult {
  /** The events newly written, in input order. */
  appended: FloorEvent[];
  /** Events whose id was already in the log (or repeated in the batch). */
  duplicates: number;
}

export interface AuditEntry {
  atMs: number;
  actor: string;
  action: string;
  before?: unknown;
  after?: unknown;
}

export interface LogStore {
  readonly kind: string;
  /** Writes the events whose id was never seen, in one transaction; durable when the promise resolves. */
  append(events: FloorEvent[], receivedAtMs: number): Promise<AppendResult>;
  /** Calls fn for every event in log order; resolves with the count. */
  replay(fn: (event: FloorEvent) => void): Promise<number>;
  count(): Promise<number>;
  /** Events of one call in log order, for a drill-down of a call no longer in memory. */
  eventsForCall(callId: string, limit?: number): Promise<FloorEvent[]>;
  loadConfig(): Promise<FloorConfig | undefined>;
  /** Saves the configuration and writes an audit entry. */
  saveConfig(config: FloorConfig, actor: string, before?: FloorConfig): Promise<void>;
  /** Upserts alerts by id: the latest content wins. */
  saveAlerts(alerts: Alert[]): Promise<void>;
  /** Newest first by raisedAtMs. */
  listAlerts(opts?: { sinceMs?: number; untilMs?: number; limit?: number; agentId?: string }): Promise<Alert[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(limit?: number): Promise<AuditEntry[]>;
  close(): Promise<void>;
}
