-- 002_cluster_id: the store's identity. The grid namespaces every Redis key of membership, owners,
-- inboxes and hot state by it, so two stores that share a Redis (and a key prefix) never mix their
-- journeys. Generated once, here, under the migration lock; never changed by the engine.
-- A database copied from another store (dump and restore) carries that store's id: delete the row
-- before the copy's first start and the engine draws a new one (cache-store/cluster-identity.ts).
-- 64 random-looking bits as 16 hex digits, from sources that differ per server, database and call.
INSERT IGNORE INTO cluster_meta (meta_key, meta_value)
  VALUES ('cluster_id', LEFT(SHA2(CONCAT_WS('/', UUID(), RAND(), SYSDATE(6), DATABASE(), @@hostname, @@port), 256), 16));
