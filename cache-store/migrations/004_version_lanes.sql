-- 004_version_lanes: version-aware placement. Each deployed journey version gets a lane number,
-- and a journey's partition_no becomes a slot of its version's lane:
--   slot = lane_no * partition_count + fnv1a(journey_id) % partition_count
-- so a node leases the slots of the versions it hosts only, and an event is handled only by a
-- node that hosts its journey's version. Slots below partition_count belong to no lane.
--
-- NOT expand-only (the one exception, see README.md): existing journeys, and their pending
-- events, scheduled timers and pending calls, move to their version's slots, and the lease rows of
-- the old partitions go. Nodes of an older release must be stopped first: the runner refuses to
-- apply this file while any of them holds a live lease (migrations.ts, `beforeVersionLanes`).
-- Re-runnable: every statement applies only to rows not moved yet.
ALTER TABLE deployments
  ADD COLUMN IF NOT EXISTS lane_no SMALLINT UNSIGNED NULL COMMENT 'the slots lane_no*P to lane_no*P+P-1 hold the journeys of this version',
  ADD COLUMN IF NOT EXISTS content_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL COMMENT 'sha256 of the version bundle',
  ADD COLUMN IF NOT EXISTS bundle LONGTEXT NULL COMMENT 'the version bundle (JSON), when deployed as one',
  ADD COLUMN IF NOT EXISTS compatibility VARCHAR(16) NULL,
  ADD COLUMN IF NOT EXISTS undeployed_at DATETIME(6) NULL COMMENT 'set by undeploy; the row stays: lanes are never reused';
ALTER TABLE deployments ADD UNIQUE INDEX IF NOT EXISTS lane (lane_no);
SET @next_lane := (SELECT COALESCE(MAX(lane_no), 0) FROM deployments);
UPDATE deployments SET lane_no = (@next_lane := @next_lane + 1) WHERE lane_no IS NULL ORDER BY deployed_at, type_name, type_version;
SET @partitions := (SELECT CAST(meta_value AS UNSIGNED) FROM cluster_meta WHERE meta_key = 'partition_count');
UPDATE journeys j JOIN deployments d ON d.type_name = j.type_name AND d.type_version = j.type_version
   SET j.partition_no = d.lane_no * @partitions + j.partition_no
 WHERE j.partition_no < @partitions;
UPDATE events e JOIN journeys j ON j.journey_id = e.journey_id SET e.partition_no = j.partition_no
 WHERE e.status = 'pending' AND e.partition_no <> j.partition_no;
UPDATE timers t JOIN journeys j ON j.journey_id = t.journey_id SET t.partition_no = j.partition_no
 WHERE t.status = 'scheduled' AND t.partition_no <> j.partition_no;
UPDATE outbox o JOIN journeys j ON j.journey_id = o.journey_id SET o.partition_no = j.partition_no
 WHERE o.status = 'pending' AND o.partition_no <> j.partition_no;
DELETE FROM partitions WHERE partition_no < @partitions;
-- An uplift moves a journey to another version inside its own turn, recorded as an event.
ALTER TABLE events MODIFY COLUMN origin ENUM('api','emitted','timer','backend','uplift') NOT NULL;
-- An uplift moves a journey's pending calls with it.
ALTER TABLE outbox ADD INDEX IF NOT EXISTS by_journey (journey_id, status);
