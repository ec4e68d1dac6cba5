-- 011_webhook_dead_letters: undelivered webhooks join the dead letters an operator lists, reads,
-- retries and discards with the others (GET/POST /dead-letters, journey dead-letters; kind
-- `webhook`). They get what every kind has: the event that caused them (the outcome that published
-- the event), when they were made, and `pending` for a retry under way, as a call's is (`retrying`,
-- written by nothing since this release, stays valid for rows of the one before).
-- Expand only: the release before never reads these columns.
ALTER TABLE webhook_dead_letters MODIFY COLUMN status ENUM('dead','retrying','pending','delivered','discarded') NOT NULL DEFAULT 'dead';
ALTER TABLE webhook_dead_letters ADD COLUMN IF NOT EXISTS caused_by CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'the event whose outcome published it';
ALTER TABLE webhook_dead_letters ADD COLUMN IF NOT EXISTS created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) COMMENT 'when it first went dead';
ALTER TABLE webhook_dead_letters ADD COLUMN IF NOT EXISTS updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6);
UPDATE webhook_dead_letters SET status = 'pending' WHERE status = 'retrying';
UPDATE webhook_dead_letters w JOIN published_events p ON p.event_id = w.event_id SET w.caused_by = p.caused_by WHERE w.caused_by IS NULL;
ALTER TABLE webhook_dead_letters ADD INDEX IF NOT EXISTS listing (status, created_at, dead_id);
