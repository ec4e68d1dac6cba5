/**
 * What a journey waits for, for the operators' and authors' view: its scheduled timers and the
 * back-end calls not answered yet (pending, or dead and waiting for an operator).
 */
import { str, toNumber } from './journal-rows.js';
import type { Connection, Row } from './journal-rows.js';

export interface WaitingTimer {
  name: string;
  fireAt: Date;
  /** The event it will give the journey. */
  eventType: string;
}

export interface WaitingCall {
  /** The outbox id: the `callId` the back end sees. */
  callId: string;
  system: string;
  operation: string;
  status: 'pending' | 'dead';
  attempts: number;
  lastError: string | null;
}

export async function journeyWaiting(conn: Connection, journeyId: string): Promise<{ timers: WaitingTimer[]; calls: WaitingCall[] }> {
  const [timers, calls] = await Promise.all([
    conn.query<Row[]>(`SELECT timer_name, fire_at, event_type FROM timers WHERE journey_id = ? AND status = 'scheduled' ORDER BY fire_at LIMIT 100`, [
      journeyId,
    ]),
    conn.query<Row[]>(
      `SELECT outbox_id, system_name, operation, status, attempts, last_error FROM outbox
        WHERE journey_id = ? AND status IN ('pending', 'dead') ORDER BY created_at LIMIT 100`,
      [journeyId],
    ),
  ]);
  return {
    timers: timers.map((row) => ({ name: str(row.timer_name), fireAt: row.fire_at as Date, eventType: str(row.event_type) })),
    calls: calls.map((row) => ({
      callId: str(row.outbox_id),
      system: str(row.system_name),
      operation: str(row.operation),
      status: str(row.status) as WaitingCall['status'],
      attempts: toNumber(row.attempts),
      lastError: row.last_error === null || row.last_error === undefined ? null : str(row.last_error),
    })),
  };
}
