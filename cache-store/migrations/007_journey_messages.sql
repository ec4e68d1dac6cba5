-- 007_journey_messages: events between journeys. A `send` or `start` step of a journey leaves a
-- message here, written by the same transaction as the outcome that sent it (it exists if and
-- only if that outcome does), and delivered after the commit by the owner of the sender's slot,
-- exactly once: the receiving accept's idempotency key is the message's, derived from the sending
-- event (journey:<event id>:<n>). The owner's sweep delivers what a crash left pending; a message
-- that can never be delivered is 'dead' (its sender got its failure event, when it names one).
-- The events it becomes are recorded with origin 'journey'.
-- Expand only: an older release never reads this table and never writes origin 'journey'.
CREATE TABLE IF NOT EXISTS journey_messages (
  message_id      CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID',
  journey_id      VARCHAR(40) NOT NULL COMMENT 'the sender',
  partition_no    SMALLINT UNSIGNED NOT NULL COMMENT 'the sender''s slot: its owner delivers the message',
  caused_by       CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the sending event',
  idempotency_key VARCHAR(255) NOT NULL COMMENT 'of the event it becomes: journey:<sending event id>:<n>',
  kind            ENUM('send','start') NOT NULL,
  target_journey  VARCHAR(40) NOT NULL COMMENT 'the journey it goes to (a start: the id the new journey gets)',
  target_type     VARCHAR(200) NULL COMMENT 'a start: the type and version to start',
  target_version  VARCHAR(32) NULL,
  event_type      VARCHAR(128) NULL COMMENT 'NULL: a start with the version''s one initiating event',
  payload         LONGTEXT NOT NULL,
  failure_event   VARCHAR(128) NULL COMMENT 'the sender''s event when it cannot be delivered',
  status          ENUM('pending','delivered','dead') NOT NULL DEFAULT 'pending',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'deliveries that failed for a while (the store, the engine)',
  last_error      TEXT NULL,
  delivered_event CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'the event it became; dead: the failure event, if any',
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (message_id),
  UNIQUE KEY idempotency (idempotency_key),
  KEY pending_by_age (status, created_at, message_id),
  KEY by_journey (journey_id, status),
  KEY by_target (target_journey, kind, status),
  CONSTRAINT journey_messages_payload_json CHECK (JSON_VALID(payload))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Events a journey sends to other journeys, written in the same transaction as its outcome';
ALTER TABLE events MODIFY COLUMN origin ENUM('api','emitted','timer','backend','uplift','journey') NOT NULL;
