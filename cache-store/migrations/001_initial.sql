-- 001_initial: the cache store's tables. See README.md in this folder for the rules.
-- Charset: utf8mb4 with binary collation (ids and keys compare byte for byte, case-sensitive);
-- ULIDs and hex hashes are ascii_bin (a quarter of the index space).

CREATE TABLE IF NOT EXISTS cluster_meta (
  meta_key   VARCHAR(64)  NOT NULL,
  meta_value VARCHAR(255) NOT NULL,
  PRIMARY KEY (meta_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Cluster-wide facts fixed at first start, e.g. the partition count';

CREATE TABLE IF NOT EXISTS deployments (
  type_name    VARCHAR(200) NOT NULL,
  type_version VARCHAR(32)  NOT NULL,
  ir           LONGTEXT     NOT NULL,
  ir_hash      CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  deployed_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (type_name, type_version),
  CONSTRAINT deployments_ir_json CHECK (JSON_VALID(ir))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Compiled journey definitions; a (name, version) is immutable';

CREATE TABLE IF NOT EXISTS journeys (
  journey_id   VARCHAR(40)  NOT NULL,
  type_name    VARCHAR(200) NOT NULL,
  type_version VARCHAR(32)  NOT NULL,
  partition_no SMALLINT UNSIGNED NOT NULL,
  lifecycle    ENUM('pending','active','failed') NOT NULL DEFAULT 'pending',
  data         LONGTEXT NULL,
  handled_seq  BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'events handled (applied or rejected)',
  accepted_seq BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'inbox tail: per-journey acceptance sequence',
  last_epoch   BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'partition epoch of the last writer (fencing)',
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (journey_id),
  KEY by_type (type_name, type_version, journey_id),
  CONSTRAINT journeys_data_json CHECK (data IS NULL OR JSON_VALID(data)),
  CONSTRAINT journeys_handled_le_accepted CHECK (handled_seq <= accepted_seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='One row per journey instance; search fields are added as sf_* virtual columns';

CREATE TABLE IF NOT EXISTS events (
  event_id        CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID',
  journey_id      VARCHAR(40) NOT NULL,
  journey_seq     BIGINT UNSIGNED NOT NULL COMMENT 'per-journey acceptance order, assigned under the journey row lock',
  partition_no    SMALLINT UNSIGNED NOT NULL,
  event_type      VARCHAR(128) NOT NULL,
  payload         LONGTEXT NOT NULL,
  context         LONGTEXT NOT NULL,
  origin          ENUM('api','emitted','timer','backend') NOT NULL,
  caused_by       CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  idempotency_key VARCHAR(255) NULL,
  request_hash    CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  accepted_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  status          ENUM('pending','applied','rejected') NOT NULL DEFAULT 'pending',
  outcome         LONGTEXT NULL,
  handled_at      DATETIME(6) NULL,
  handled_epoch   BIGINT UNSIGNED NULL,
  PRIMARY KEY (event_id),
  UNIQUE KEY journey_order (journey_id, journey_seq),
  UNIQUE KEY idempotency (idempotency_key),
  KEY pending (status, partition_no, accepted_at),
  CONSTRAINT events_payload_json CHECK (JSON_VALID(payload)),
  CONSTRAINT events_context_json CHECK (JSON_VALID(context)),
  CONSTRAINT events_outcome_json CHECK (outcome IS NULL OR JSON_VALID(outcome))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='The inbox and the record of accepted events';

CREATE TABLE IF NOT EXISTS timers (
  timer_id       CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID',
  journey_id     VARCHAR(40) NOT NULL,
  partition_no   SMALLINT UNSIGNED NOT NULL,
  timer_name     VARCHAR(128) NOT NULL,
  fire_at        DATETIME(6) NOT NULL,
  event_type     VARCHAR(128) NOT NULL,
  payload        LONGTEXT NOT NULL,
  cancel_on      LONGTEXT NOT NULL DEFAULT '[]' COMMENT 'JSON array of event types',
  status         ENUM('scheduled','fired','cancelled') NOT NULL DEFAULT 'scheduled',
  created_by     CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'event that scheduled it',
  fired_event_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (timer_id),
  KEY due (status, partition_no, fire_at),
  KEY by_journey (journey_id, status),
  CONSTRAINT timers_payload_json CHECK (JSON_VALID(payload)),
  CONSTRAINT timers_cancel_on_array CHECK (JSON_VALID(cancel_on) AND JSON_TYPE(cancel_on) = 'ARRAY')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS outbox (
  outbox_id     CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'ULID; pass it to the back end for dedupe',
  journey_id    VARCHAR(40) NOT NULL,
  partition_no  SMALLINT UNSIGNED NOT NULL,
  caused_by     CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind          ENUM('call') NOT NULL DEFAULT 'call',
  system_name   VARCHAR(128) NOT NULL,
  operation     VARCHAR(128) NOT NULL,
  request       LONGTEXT NOT NULL,
  reply_event   VARCHAR(128) NULL,
  failure_event VARCHAR(128) NULL,
  status        ENUM('pending','done','dead') NOT NULL DEFAULT 'pending',
  attempts      INT UNSIGNED NOT NULL DEFAULT 0,
  last_error    TEXT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (outbox_id),
  KEY pending (status, partition_no, created_at),
  CONSTRAINT outbox_request_json CHECK (JSON_VALID(request))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Back-end calls to make, written in the same transaction as the event that caused them';

CREATE TABLE IF NOT EXISTS partitions (
  partition_no     SMALLINT UNSIGNED NOT NULL,
  owner_node       VARCHAR(100) NULL,
  epoch            BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'fencing token: bumped on every ownership change',
  lease_expires_at DATETIME(6) NULL COMMENT 'database clock',
  updated_at       DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (partition_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Rows 0..P-1 are inserted by the runtime, not by a migration';
