/**
 * The journal's rows: the event and journey shapes, how rows are read and written, and the bulk
 * helpers every unit of work uses. The SQL of each unit of work lives in its own journal-*.ts.
 *
 * Invariants (see docs/ARCHITECTURE.md):
 * - An event is acknowledged only after the transaction that inserted it committed (RPO=0).
 * - Per-journey order: `journey_seq` is assigned under the journey row's lock
 *   (`accepted_seq = LAST_INSERT_ID(accepted_seq + 1)`), never from AUTO_INCREMENT.
 * - Exactly once: a handling commit is conditional on `handled_seq = expected` (journey row) and
 *   `status = 'pending'` (event row), and on the partition's fencing epoch, checked under a shared
 *   lock on the partition row inside the same transaction.
 */
import type { PoolConnection, QueryOptions } from 'mariadb';

export type Connection = PoolConnection;
export type Row = Record<string, unknown>;

export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  throw new Error(`expected a text column, got ${typeof value}`);
}

/** A text column that may be NULL. */
export function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : str(value);
}

import { DEFAULT_TENANT } from '../common/index.js';
import type { RecordedEventOrigin } from '../common/index.js';

/** Where an accepted event came from, as its row records it. */
export type EventOrigin = RecordedEventOrigin;
export type EventStatus = 'pending' | 'applied' | 'rejected';
export type Lifecycle = 'pending' | 'active' | 'failed';

/** An event row as the worker needs it. */
export interface JournalEvent {
  eventId: string;
  journeyId: string;
  journeySeq: number;
  partitionNo: number;
  type: string;
  payload: Record<string, unknown>;
  context: Record<string, unknown>;
  origin: EventOrigin;
  causedBy: string | null;
  /** The node that accepted it and may be waiting for its outcome (wake-up messages only). */
  replyTo?: string;
}

export interface NewEvent {
  eventId: string;
  type: string;
  payloadJson: string;
  contextJson: string;
  origin: EventOrigin;
  causedBy: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface JourneyRow {
  journeyId: string;
  /** The tenant that started it (migration 005); never changes. */
  tenant: string;
  typeName: string;
  typeVersion: string;
  partitionNo: number;
  lifecycle: Lifecycle;
  data: Record<string, unknown> | null;
  handledSeq: number;
  acceptedSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface OkPacket {
  affectedRows: number;
  insertId: number | bigint;
}

export function ok(result: unknown): OkPacket {
  return result as OkPacket;
}

/**
 * Runs one statement for many parameter sets and returns one result per set. Before MariaDB 11.5
 * (BULK_UNIT_RESULTS) the connector sends each set as its own execute — pipelined, but a packet
 * and a socket write each; {@link bulkTotal} is the one-packet form when a total will do.
 */
export async function bulk(conn: Connection, sql: string, rows: unknown[][]): Promise<OkPacket[]> {
  if (rows.length === 0) return [];
  if (rows.length === 1) return [ok(await conn.query(sql, rows[0]))];
  // `fullResult` (one OK packet per parameter set) is a connector option its typings lack.
  const options: QueryOptions & { fullResult: boolean } = { sql, fullResult: true };
  const results = (await conn.batch(options, rows)) as unknown;
  return Array.isArray(results) ? results.map(ok) : [ok(results)];
}

/**
 * Runs one statement for many parameter sets in one bulk command (COM_STMT_BULK_EXECUTE): one
 * packet and one socket write however many sets — the difference matters on the hot path. The
 * server reports only the total of affected rows.
 */
export async function bulkTotal(conn: Connection, sql: string, rows: unknown[][]): Promise<number> {
  if (rows.length === 0) return 0;
  if (rows.length === 1) return ok(await conn.query(sql, rows[0])).affectedRows;
  const result = (await conn.batch(sql, rows)) as unknown;
  return Array.isArray(result) ? result.reduce((total: number, r) => total + ok(r).affectedRows, 0) : ok(result).affectedRows;
}

export function toNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : Number(value);
}

export function parseJson(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

/**
 * A `DATETIME(6)` from µs since the epoch (one parameter), in the session's time zone, which the
 * store sets to UTC. Not `FROM_UNIXTIME`: before MariaDB 11.5 it gives NULL past 2038-01-19, and a
 * timer may be set years ahead.
 */
export const DATETIME_FROM_MICROS = "TIMESTAMPADD(MICROSECOND, ?, TIMESTAMP'1970-01-01 00:00:00')";

export const EVENT_COLUMNS = `event_id, journey_id, journey_seq, partition_no, event_type, payload, context, origin, caused_by`;

export function eventFromRow(row: Record<string, unknown>): JournalEvent {
  return {
    eventId: str(row.event_id),
    journeyId: str(row.journey_id),
    journeySeq: toNumber(row.journey_seq),
    partitionNo: toNumber(row.partition_no),
    type: str(row.event_type),
    payload: parseJson(row.payload),
    context: parseJson(row.context),
    origin: row.origin as EventOrigin,
    causedBy: row.caused_by === null ? null : str(row.caused_by),
  };
}

export function journeyFromRow(row: Record<string, unknown>): JourneyRow {
  return {
    journeyId: str(row.journey_id),
    tenant: row.tenant === undefined || row.tenant === null ? DEFAULT_TENANT : str(row.tenant),
    typeName: str(row.type_name),
    typeVersion: str(row.type_version),
    partitionNo: toNumber(row.partition_no),
    lifecycle: row.lifecycle as Lifecycle,
    data: row.data === null ? null : parseJson(row.data),
    handledSeq: toNumber(row.handled_seq),
    acceptedSeq: toNumber(row.accepted_seq),
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export const INSERT_EVENT = `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context,
  origin, caused_by, idempotency_key, request_hash, accepted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,NOW(6))`;

/** An event accepted and handled by the same commit (inline handling). */
export const INSERT_HANDLED_EVENT = `INSERT INTO events (event_id, journey_id, journey_seq, partition_no, event_type, payload, context,
  origin, caused_by, idempotency_key, request_hash, accepted_at, status, outcome, handled_at, handled_epoch)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,NOW(6),?,?,NOW(6),?)`;

export function insertEventParams(journeyId: string, seq: number, partitionNo: number, event: NewEvent): unknown[] {
  return [
    event.eventId,
    journeyId,
    seq,
    partitionNo,
    event.type,
    event.payloadJson,
    event.contextJson,
    event.origin,
    event.causedBy,
    event.idempotencyKey,
    event.requestHash,
  ];
}
