-- 003_outbox_sweep_order: the outbox sweep reads pending calls oldest first and pages on
-- (created_at, outbox_id), so rows it cannot move (their jobs are alive) never keep it from the
-- rows behind them. The `pending` index (status, partition_no, created_at) cannot give that order
-- across several partitions without sorting every pending row of them.
ALTER TABLE outbox ADD INDEX IF NOT EXISTS pending_by_age (status, created_at, outbox_id);
