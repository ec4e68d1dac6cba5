-- 009_dead_messages: dead journey messages become dead letters an operator acts on, as dead calls
-- are (006): listed, retried (back to 'pending', the same message id and idempotency key, so the
-- receiver takes it at most once) or discarded ('discarded': recorded, never deleted). dead_at:
-- when it last went dead; retries: how often an operator retried it; resolved_by, resolved_at,
-- resolution_note: the last operator decision. Expand only: an older release never names the new
-- columns, sets no row 'discarded', and keeps working.
ALTER TABLE journey_messages MODIFY COLUMN status ENUM('pending','delivered','dead','discarded') NOT NULL DEFAULT 'pending';
ALTER TABLE journey_messages ADD COLUMN IF NOT EXISTS dead_at DATETIME(6) NULL COMMENT 'when it last went dead';
ALTER TABLE journey_messages ADD COLUMN IF NOT EXISTS retries INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'operator retries';
ALTER TABLE journey_messages ADD COLUMN IF NOT EXISTS resolved_by VARCHAR(255) NULL COMMENT 'the operator who last retried or discarded it';
ALTER TABLE journey_messages ADD COLUMN IF NOT EXISTS resolved_at DATETIME(6) NULL;
ALTER TABLE journey_messages ADD COLUMN IF NOT EXISTS resolution_note VARCHAR(500) NULL;
UPDATE journey_messages SET dead_at = updated_at WHERE status = 'dead' AND dead_at IS NULL;
