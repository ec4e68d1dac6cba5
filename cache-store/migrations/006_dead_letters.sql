-- 006_dead_letters: dead letters an operator acts on (GET/POST /dead-letters, journey dead-letters).
-- A call whose back end's retries are spent is 'dead' (its journey has had the failure event) and
-- stays so until an operator retries it (back to 'pending', the same outbox id, so the back end and
-- the reply's idempotency key see the same call) or discards it ('discarded': recorded, never
-- deleted). dead_at: when its retries were last spent; retries: how often an operator retried it;
-- resolved_by, resolved_at, resolution_note: the last operator decision. Expand only: an older
-- release never names the new columns, sets no row 'discarded', and keeps working.
ALTER TABLE outbox MODIFY COLUMN status ENUM('pending','done','dead','discarded') NOT NULL DEFAULT 'pending';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS dead_at DATETIME(6) NULL COMMENT 'when its retries were last spent';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS retries INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'operator retries';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS resolved_by VARCHAR(255) NULL COMMENT 'the operator who last retried or discarded it';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS resolved_at DATETIME(6) NULL;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS resolution_note VARCHAR(500) NULL;
UPDATE outbox SET dead_at = updated_at WHERE status = 'dead' AND dead_at IS NULL;
