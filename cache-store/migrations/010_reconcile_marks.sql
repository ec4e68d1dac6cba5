-- 010_reconcile_marks: reconciliation with back ends (POST /reconcile/{system}, journey reconcile).
-- One high-water mark per back-end system: the last outbox row, in (created_at, outbox_id) order,
-- up to which every call of that system was compared with what the back end reports and needs
-- nothing more (settled and in agreement, or reported). A run starts behind it, so repeated runs
-- look only at new calls; the mark only moves forward. by_system: the run's scan of one system's
-- calls in that order. Expand only: an older release never reads this table or uses the index.
CREATE TABLE IF NOT EXISTS reconcile_marks (
  system_name VARCHAR(128) NOT NULL,
  created_at  DATETIME(6) NOT NULL COMMENT 'created_at of the last call the mark covers',
  outbox_id   CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'the last call the mark covers',
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (system_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
  COMMENT='Per back-end system: how far reconciliation has compared the outbox with the back end';
ALTER TABLE outbox ADD INDEX IF NOT EXISTS by_system (system_name, created_at, outbox_id);
