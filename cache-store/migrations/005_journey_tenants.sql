-- 005_journey_tenants: every journey belongs to the tenant (client institution) that started it.
-- Reads, searches and targeted events are scoped to the caller's tenant. Journeys from before
-- tenants belong to 'default', the tenant of a caller whose credentials name none; an older
-- release keeps working (it never names the column, so its new journeys are 'default' too).
ALTER TABLE journeys ADD COLUMN IF NOT EXISTS tenant VARCHAR(64) NOT NULL DEFAULT 'default' AFTER journey_id;
ALTER TABLE journeys ADD INDEX IF NOT EXISTS by_tenant_type (tenant, type_name, journey_id);
