-- 008_published_events: events a journey declares in `publish`, for systems outside the engine.
-- A published event is written by the same transaction as the outcome that emitted it (it exists
-- if and only if that outcome does). Its place in the feed (feed_seq) is given after that commit
-- by the sequencer (engine/published-feed.ts): one transaction at a time, under the lock of the
-- feed_sequence row, numbers what is committed and not yet numbered, in insertion order. So the
-- numbers become visible in order and without gaps (a reader past N never misses a row below N
-- that commits later), and one journey's events keep their order (its next outcome is only
-- written after the previous one committed, so it has a larger row_no).
-- Expand only: an older release never reads these tables.
CREATE TABLE IF NOT EXISTS published_events (
  row_no        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'insertion order: the order the sequencer numbers in',
  event_id      CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID: consumers de-duplicate by it',
  feed_seq      BIGINT UNSIGNED NULL COMMENT 'place in the feed; NULL until the sequencer numbers it',
  journey_id    VARCHAR(40) NOT NULL,
  type_name     VARCHAR(200) NOT NULL,
  type_version  VARCHAR(32) NOT NULL,
  journey_seq   BIGINT UNSIGNED NOT NULL COMMENT 'the emitting event''s place in its journey',
  caused_by     CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the event whose outcome emitted it',
  event_type    VARCHAR(128) NOT NULL,
  payload       LONGTEXT NOT NULL,
  published_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (row_no),
  UNIQUE KEY event_id (event_id),
  UNIQUE KEY feed_order (feed_seq),
  KEY by_type (type_name, feed_seq),
  CONSTRAINT published_events_payload_json CHECK (JSON_VALID(payload))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Published events, written with their outcome and numbered into one feed after it';

CREATE TABLE IF NOT EXISTS feed_sequence (
  feed_name  VARCHAR(32) NOT NULL,
  last_seq   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (feed_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='The last number given in each feed; its row lock serialises the sequencers';
INSERT IGNORE INTO feed_sequence (feed_name, last_seq) VALUES ('published', 0);

-- Webhooks: each configured webhook reads the feed from its own cursor. One node at a time
-- delivers a webhook (a lease on its row, by the database's clock); a delivery whose tries are
-- spent becomes a dead letter and the cursor moves on.
CREATE TABLE IF NOT EXISTS webhook_cursors (
  webhook_name  VARCHAR(64) NOT NULL,
  last_seq      BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'every event up to here was delivered or dead-lettered',
  lease_owner   VARCHAR(128) NULL,
  lease_until   DATETIME(6) NULL,
  updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (webhook_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Where each webhook is in the published-event feed, and which node delivers it';

CREATE TABLE IF NOT EXISTS webhook_dead_letters (
  dead_id         CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID',
  webhook_name    VARCHAR(64) NOT NULL,
  feed_seq        BIGINT UNSIGNED NOT NULL,
  event_id        CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  journey_id      VARCHAR(40) NOT NULL,
  status          ENUM('dead','retrying','delivered','discarded') NOT NULL DEFAULT 'dead',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  retries         INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'operator retries',
  last_error      TEXT NULL,
  dead_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  resolved_by     VARCHAR(255) NULL,
  resolved_at     DATETIME(6) NULL,
  resolution_note VARCHAR(500) NULL,
  PRIMARY KEY (dead_id),
  UNIQUE KEY one_per_delivery (webhook_name, feed_seq),
  KEY by_status (status, dead_at, dead_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Webhook deliveries whose tries were spent, for an operator to retry or discard';
