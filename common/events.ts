/**
 * The facts about events every layer shares, defined once: where an event came from, and the
 * shape of the ids of journeys and events.
 */

/**
 * Where an event came from: a caller of the API, an emit of the journey itself, a timer, a back
 * end's reply, another journey (`send`, `reply`, `start`, or the failure event of an undelivered one).
 */
export const EVENT_ORIGINS = ['api', 'emitted', 'timer', 'backend', 'journey'] as const;
export type EventOrigin = (typeof EVENT_ORIGINS)[number];

/**
 * What the history records besides: an uplift (the journey moved to a newer version of its type,
 * in its own turn). No bead ever sees one, so journey definitions know only {@link EVENT_ORIGINS}.
 */
export const RECORDED_EVENT_ORIGINS = [...EVENT_ORIGINS, 'uplift'] as const;
export type RecordedEventOrigin = (typeof RECORDED_EVENT_ORIGINS)[number];

/** Journey and event ids: ULIDs (26 characters of Crockford's base32). */
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The tenant (client institution) of a journey started by a caller whose credentials name none,
 * and of every journey from before tenants: a single-institution install never sees another.
 */
export const DEFAULT_TENANT = 'default';

/** Tenant names: they become part of idempotency scopes, rate-limit keys and metric labels. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
