// GENERATED FILE: DO NOT EDIT. Source: the OpenAPI document the API serves (GET /openapi.json) over
// journeys/; regenerate with `npm run generate`.
// openapi-typescript 7.9.1. Lint and prettier skip generated/; tsc --strict checks it.
export interface paths {
    "/journeys/mybank/lending/mortgage/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a mybank/lending/mortgage journey with an initiating event */
        post: operations["start.mybank.lending.mortgage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/mybank/payment/sct/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a mybank/payment/sct journey with an initiating event */
        post: operations["start.mybank.payment.sct"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/pfm/wallet/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a pfm/wallet journey with an initiating event */
        post: operations["start.pfm.wallet"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/theglue/psd2/x2a/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a theglue/psd2/x2a journey with an initiating event */
        post: operations["start.theglue.psd2.x2a"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/theglue/signing/basketsign/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a theglue/signing/basketsign journey with an initiating event */
        post: operations["start.theglue.signing.basketsign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/theglue/signing/signature/{version}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a theglue/signing/signature journey with an initiating event */
        post: operations["start.theglue.signing.signature"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/{journeyId}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A journey's event history, oldest first, paginated */
        get: operations["listEvents"];
        put?: never;
        /** Send an event to an existing journey */
        post: operations["sendEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys/{journeyId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A journey's current state */
        get: operations["getJourney"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/journeys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Search journeys of one type by its declared search fields */
        get: operations["searchJourneys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deployed journey versions and their events; with `?instances=true`, the drain report */
        get: operations["deployments"];
        put?: never;
        /**
         * Deploy a version bundle (`journey pack`) to the running cluster (operator role)
         * @description A version new to the store is checked against every deployed version of its type in the compatibility mode of the newer of the two, and each `uplift from` it declares is checked. This node accepts its events at once, the others within seconds.
         */
        post: operations["deploy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/mybank/lending/mortgage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of mybank/lending/mortgage ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.mybank.lending.mortgage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/mybank/lending/mortgage/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of mybank/lending/mortgage (operator role): its events are refused from then on */
        delete: operations["undeploy.mybank.lending.mortgage"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/mybank/payment/sct": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of mybank/payment/sct ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.mybank.payment.sct"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/mybank/payment/sct/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of mybank/payment/sct (operator role): its events are refused from then on */
        delete: operations["undeploy.mybank.payment.sct"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/pfm/wallet": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of pfm/wallet ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.pfm.wallet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/pfm/wallet/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of pfm/wallet (operator role): its events are refused from then on */
        delete: operations["undeploy.pfm.wallet"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/psd2/x2a": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of theglue/psd2/x2a ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.theglue.psd2.x2a"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/psd2/x2a/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of theglue/psd2/x2a (operator role): its events are refused from then on */
        delete: operations["undeploy.theglue.psd2.x2a"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/signing/basketsign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of theglue/signing/basketsign ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.theglue.signing.basketsign"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/signing/basketsign/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of theglue/signing/basketsign (operator role): its events are refused from then on */
        delete: operations["undeploy.theglue.signing.basketsign"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/signing/signature": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of theglue/signing/signature ever deployed: hashes, compatibility, deploy and undeploy times, hosts */
        get: operations["history.theglue.signing.signature"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/deployments/theglue/signing/signature/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Undeploy a version of theglue/signing/signature (operator role): its events are refused from then on */
        delete: operations["undeploy.theglue.signing.signature"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Dead letters: back-end calls whose retries were spent, messages between journeys never delivered, and published events a webhook could not deliver, oldest first (operator role)
         * @description A dead one has given its journey its failure event already (a message: when it names one). Filter by `kind` (`call`, `message`, `webhook`), `status` (`dead`, the default, or `discarded`), `system` (a call’s back-end system, a webhook’s name) and `journeyType`; page with `cursor`.
         */
        get: operations["deadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One dead letter: the call, message or webhook delivery, its last error, the events it gave, the last operator decision (operator role) */
        get: operations["deadLetter"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a dead call, message or webhook delivery again, with the same id (operator role)
         * @description A call: the back end sees the same `callId`, and the answer is accepted under the same idempotency key, so the reply enters the journey at most once, whichever run answers; the journey's bead for the reply must accept it where the failure event left the journey. A message: delivered again under its idempotency key, so its receiver handles it at most once; fix the cause first (deploy the type, start the journey). A webhook delivery: the webhook's holder sends the same event again (same `webhook-id`) on its next round. A retry that fails again goes dead again (the journey does not get a second failure event).
         */
        post: operations["retryDeadLetter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/{id}/discard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Record that a dead call or message will not be run again (operator role)
         * @description Nothing is sent: the journey stays where its failure event left it. The dead letter is kept, `discarded`, with who, when and why.
         */
        post: operations["discardDeadLetter"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reconcile/{system}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Compare a back end's calls with what it says it did; replay lost replies (operator role)
         * @description The outbox's calls of the system, from its high-water mark (or `since`), against its adapter's `query`. A `lost-reply` (the back end did the call, the outbox has it pending or dead) is replayed with `repair`: accepted under the call's reply key, so it enters the journey once however often this runs; the other kinds are reported. The node asked must have the back end configured.
         */
        post: operations["reconcileBackend"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process serves */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: store, grid and partition ownership */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (engine and HTTP) */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/published-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One journey type's published events after a cursor (subscriber or operator role)
         * @description Events a journey declares in `publish`, written with the outcome that emitted them, in one feed order that never changes; one journey's events come in its order. At least once: keep the `cursor` of the last event processed, pass it as `after`, and de-duplicate by `eventId`. With `wait`, an empty page is answered only after that many seconds (a long poll). With `Accept: text/event-stream`, a stream of server-sent events (`id` = cursor, `event` = event name, `data` = the event) that resumes from `Last-Event-ID`. A subscriber reads the journeys of its own tenant; an operator every tenant's.
         */
        get: operations["publishedEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                /** @description Stable error code (see docs/errors.md). */
                code: string;
                message: string;
                details: {
                    [key: string]: unknown;
                };
            };
        };
        AcceptResult: {
            journeyId: string;
            eventId: string;
            /** @description The event's position in its journey's acceptance order (1 = initiating). */
            seq: number;
            journeyType?: string;
            version?: string;
            /** @description True when the Idempotency-Key matched an earlier submission. */
            duplicate: boolean;
        };
        /** @description An event's outcome. `data` and `emitted` are shown only to a sender who may read the journey (its read rules, on the data after the event); others see whether their event applied, why not, and the seq. */
        EventOutcome: {
            journeyId: string;
            eventId: string;
            /** @enum {string} */
            outcome: "applied" | "rejected";
            rejection?: {
                /** @enum {string} */
                code: "NO_MATCHING_BEAD" | "PRECONDITION_FAILED" | "ACCESS_DENIED" | "ACTION_FAILED" | "INVALID_TIMER" | "STORE_REFUSED";
                message: string;
                rule?: string;
                beadId?: string;
            };
            /** @description The journey's handled-event count after this event. */
            seq: number;
            /** @description Journey data after this event (readers only). */
            data?: {
                [key: string]: unknown;
            } | null;
            /** @description Events the journey emitted (readers only). */
            emitted?: {
                type: string;
                payload: {
                    [key: string]: unknown;
                };
            }[];
            duplicate?: boolean;
        };
        JourneyView: {
            journeyId: string;
            journeyType: string;
            /** @description Same as journeyType. */
            type: string;
            version: string;
            /** @description Business status: data.status when the journey keeps one, else the lifecycle. */
            status: string;
            /** @enum {string} */
            lifecycle: "pending" | "active" | "failed";
            data: {
                [key: string]: unknown;
            } | null;
            seq: number;
            acceptedSeq: number;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
        };
        JourneyPage: {
            items: {
                journeyId: string;
                journeyType: string;
                /** @description Same as journeyType. */
                type: string;
                version: string;
                /** @description Business status: data.status when the journey keeps one, else the lifecycle. */
                status: string;
                /** @enum {string} */
                lifecycle: "pending" | "active" | "failed";
                data: {
                    [key: string]: unknown;
                } | null;
                seq: number;
                acceptedSeq: number;
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                updatedAt: string;
            }[];
            /** @description Pass as `cursor` for the next page; absent on the last page. */
            nextCursor?: string;
        };
        EventPage: {
            items: {
                eventId: string;
                journeySeq: number;
                type: string;
                payload: {
                    [key: string]: unknown;
                };
                context: {
                    [key: string]: unknown;
                };
                /** @enum {string} */
                origin: "api" | "emitted" | "timer" | "backend" | "uplift" | "journey";
                causedBy: string | null;
                /** Format: date-time */
                acceptedAt: string;
                /** @enum {string} */
                status: "pending" | "applied" | "rejected";
                outcome: {
                    journeyId?: string;
                    eventId?: string;
                    /** @enum {string} */
                    outcome?: "applied" | "rejected";
                    rejection?: {
                        /** @enum {string} */
                        code: "NO_MATCHING_BEAD" | "PRECONDITION_FAILED" | "ACCESS_DENIED" | "ACTION_FAILED" | "INVALID_TIMER" | "STORE_REFUSED";
                        message: string;
                        rule?: string;
                        beadId?: string;
                    };
                    /** @description The journey's handled-event count after this event. */
                    seq?: number;
                    /** @description Journey data after this event (readers only). */
                    data?: {
                        [key: string]: unknown;
                    } | null;
                    /** @description Events the journey emitted (readers only). */
                    emitted?: {
                        type: string;
                        payload: {
                            [key: string]: unknown;
                        };
                    }[];
                    duplicate?: boolean;
                    beadId?: string;
                    /** Format: date-time */
                    handledAt?: string;
                    /** @description What the event changed in the journey's data: a JSON Patch (RFC 6902) from the data before it to the data after. */
                    changes?: {
                        /** @enum {string} */
                        op: "add" | "replace" | "remove";
                        path: string;
                        value?: unknown;
                    }[];
                } | null;
            }[];
            /** @description Pass as `cursor` for the next page; absent on the last page. */
            nextCursor?: string;
        };
        Deployments: {
            items: {
                journeyType: string;
                version: string;
                events: {
                    type: string;
                    initiating: boolean;
                    /** @description A sender may send it (some bead handles it). */
                    handled: boolean;
                    emitted: boolean;
                    schema: {
                        [key: string]: unknown;
                    };
                }[];
                searchFields: {
                    name: string;
                    /** @enum {string} */
                    type: "string" | "number" | "boolean";
                }[];
            }[];
        };
        DrainReport: {
            versions: {
                journeyType: string;
                version: string;
                laneNo: number;
                /** @description The bundle content hash; null when a node deployed it from sources at start. */
                contentHash: string | null;
                irHash: string;
                compatibility: string | null;
                /** Format: date-time */
                deployedAt: string;
                /** Format: date-time */
                undeployedAt: string | null;
                /** @description Live nodes hosting it; null when membership cannot be read. */
                hosts: string[] | null;
                deployed: boolean;
                instances: {
                    pending: number;
                    active: number;
                    failed: number;
                };
                /** @description Deployed, no pending or active instance, and a newer version is deployed. */
                retirable: boolean;
            }[];
        };
        DeploymentHistory: {
            journeyType: string;
            items: {
                journeyType: string;
                version: string;
                laneNo: number;
                /** @description The bundle content hash; null when a node deployed it from sources at start. */
                contentHash: string | null;
                irHash: string;
                compatibility: string | null;
                /** Format: date-time */
                deployedAt: string;
                /** Format: date-time */
                undeployedAt: string | null;
                /** @description Live nodes hosting it; null when membership cannot be read. */
                hosts: string[] | null;
            }[];
        };
        DeployResult: {
            journeyType: string;
            version: string;
            /** @description False when the same content was already deployed under that version. */
            created: boolean;
            laneNo: number;
            contentHash: string;
            /** @enum {string} */
            compatibility: "BACKWARD" | "FORWARD" | "FULL" | "NONE";
            /** @description Deployed versions of the type its compatibility was checked against. */
            checkedAgainst: string[];
            /** @description Versions its `uplift from` sections were checked from. */
            upliftsChecked: string[];
            warnings: string[];
        };
        UndeployResult: {
            journeyType: string;
            version: string;
            /** @description False when it was undeployed already. */
            changed: boolean;
            /** Format: date-time */
            undeployedAt: string;
        };
        VersionBundle: {
            /** @constant */
            format: "journey-bundle/1";
            name: string;
            version: string;
            /** @description sha256 of the canonical JSON of name, version, journey, processors and files. */
            contentHash: string;
            /** @description The engine version that packed it. */
            engineVersion: string;
            /** @description Source path (relative to the version folder) → sha256 of its bytes. */
            files: {
                [key: string]: string;
            };
            /** @description Processor name → self-contained ES module. */
            processors: {
                [key: string]: string;
            };
            /** @description The compiled journey (IR), JSON Schemas included. */
            journey: Record<string, never>;
        };
        Health: {
            /** @enum {string} */
            status: "ok";
            nodeId: string;
        };
        Readiness: {
            ready: boolean;
            degraded: boolean;
            grid: {
                up?: boolean;
                /** @enum {string} */
                mode?: "cluster" | "standalone" | "none";
                nodes?: number;
                error?: string;
            };
            store: {
                up?: boolean;
                error?: string;
            };
            partitions: {
                total?: number;
                owned?: number;
                unowned?: number;
                unownedPartitions?: number[];
            };
            versions?: {
                hosted?: string[];
                withoutHost?: string[];
            };
            nodeId: string;
        };
        DeadLetter: {
            /** @description A call's outbox id (also the `callId` its back end sees, and the key of its reply), or a message's id. */
            id: string;
            /**
             * @description What went dead: a back-end call whose retries were spent, a message between journeys that could not be delivered, or a published event whose tries at a webhook were spent.
             * @enum {string}
             */
            kind: "call" | "message" | "webhook";
            /**
             * @description `dead`: waiting for an operator; `retrying`: retried, running; `answered`: a call's retry got its answer; `delivered`: a message's retry reached its receiver; `discarded`.
             * @enum {string}
             */
            status: "dead" | "retrying" | "answered" | "delivered" | "discarded";
            /** @description The journey that made the call or sent the message. */
            journeyId: string;
            journeyType: string | null;
            version: string | null;
            /** @description A call: its back-end system; a webhook delivery: the webhook's name. */
            system?: string;
            /** @description A call: its operation. */
            operation?: string;
            /** @description A message: what it was, its payload, and where it went. */
            message?: {
                /**
                 * @description `send` (a `send` or `reply` step) or `start`.
                 * @enum {string}
                 */
                kind: "send" | "start";
                /** @description The journey it goes to (a start: the id the started journey gets). */
                targetJourneyId: string;
                /** @description The receiver's event; null for a start with its version's one initiating event. */
                eventType: string | null;
                /** @description A start: the journey type it starts. */
                targetType?: string;
                targetVersion?: string;
                payload: {
                    [key: string]: unknown;
                };
                /** @description The key its receiver takes it under, on every retry: it arrives at most once. */
                idempotencyKey: string;
            };
            /** @description A webhook delivery: the webhook and the published event (a retry delivers it again on the webhook’s next round). */
            webhook?: {
                name: string;
                /** @description The published event: the `webhook-id` its receiver sees. */
                eventId: string;
                eventType: string;
                /** @description Its place in the published-event feed. */
                cursor: string;
            };
            /** @description A call: attempts at the back end, over every retry; a message: deliveries that failed for a while. */
            attempts: number;
            /** @description How often an operator retried it. */
            retries: number;
            lastError: string | null;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description When it last went dead.
             */
            deadAt: string;
            tenant: string | null;
            /** @description The journey's `data.status` (else its lifecycle): where the failure event left it. */
            journeyStatus: string | null;
            /** @description A call: its request. */
            request?: {
                [key: string]: unknown;
            };
            /** @description A call: the event its reply becomes. */
            replyEvent?: string;
            /** @description The journey's event when it went dead (null when a message names none). */
            failureEvent: string | null;
            /** @description The event whose handling made the call or sent the message. */
            causedBy: string;
            /** @description The operator of the last retry or discard. */
            resolvedBy?: string;
            /** Format: date-time */
            resolvedAt?: string;
            note?: string;
            /** @description The events it gave: the failure event (when it went dead) and, after a retry, a call's reply or the event a message became at its receiver (each at most once). */
            delivered: {
                failure?: {
                    eventId: string;
                    /** @enum {string} */
                    status: "pending" | "applied" | "rejected";
                };
                reply?: {
                    eventId: string;
                    /** @enum {string} */
                    status: "pending" | "applied" | "rejected";
                };
                message?: {
                    eventId: string;
                    /** @enum {string} */
                    status: "pending" | "applied" | "rejected";
                };
            };
        };
        DeadLetterPage: {
            items: {
                /** @description A call's outbox id (also the `callId` its back end sees, and the key of its reply), or a message's id. */
                id: string;
                /**
                 * @description What went dead: a back-end call whose retries were spent, a message between journeys that could not be delivered, or a published event whose tries at a webhook were spent.
                 * @enum {string}
                 */
                kind: "call" | "message" | "webhook";
                /**
                 * @description `dead`: waiting for an operator; `retrying`: retried, running; `answered`: a call's retry got its answer; `delivered`: a message's retry reached its receiver; `discarded`.
                 * @enum {string}
                 */
                status: "dead" | "retrying" | "answered" | "delivered" | "discarded";
                /** @description The journey that made the call or sent the message. */
                journeyId: string;
                journeyType: string | null;
                version: string | null;
                /** @description A call: its back-end system; a webhook delivery: the webhook's name. */
                system?: string;
                /** @description A call: its operation. */
                operation?: string;
                /** @description A message: what it was and where it went. */
                message?: {
                    /**
                     * @description `send` (a `send` or `reply` step) or `start`.
                     * @enum {string}
                     */
                    kind: "send" | "start";
                    /** @description The journey it goes to (a start: the id the started journey gets). */
                    targetJourneyId: string;
                    /** @description The receiver's event; null for a start with its version's one initiating event. */
                    eventType: string | null;
                    /** @description A start: the journey type it starts. */
                    targetType?: string;
                    targetVersion?: string;
                };
                /** @description A webhook delivery: the webhook and the published event (a retry delivers it again on the webhook’s next round). */
                webhook?: {
                    name: string;
                    /** @description The published event: the `webhook-id` its receiver sees. */
                    eventId: string;
                    eventType: string;
                    /** @description Its place in the published-event feed. */
                    cursor: string;
                };
                /** @description A call: attempts at the back end, over every retry; a message: deliveries that failed for a while. */
                attempts: number;
                /** @description How often an operator retried it. */
                retries: number;
                lastError: string | null;
                /** Format: date-time */
                createdAt: string;
                /**
                 * Format: date-time
                 * @description When it last went dead.
                 */
                deadAt: string;
            }[];
            /** @description Pass as `cursor` for the next page; absent on the last page. */
            nextCursor?: string;
        };
        ReconcileReport: {
            system: string;
            repair: boolean;
            /** @description Where the run started: `since`, or the high-water mark (null: the first call). */
            from: {
                /** Format: date-time */
                createdAt: string;
                callId: string;
            } | null;
            /** @description The high-water mark after the run: the next run starts behind it. */
            mark: {
                /** Format: date-time */
                createdAt: string;
                callId: string;
            } | null;
            /** @description Calls compared. */
            checked: number;
            /** @description The limit stopped the run: run again for the rest. */
            more: boolean;
            mismatches: {
                /**
                 * @description `lost-reply`: the back end did it, the outbox has it pending or dead (repair replays the reply); `discarded-but-done`: the back end did a call an operator discarded; `unknown-to-backend`: the outbox took a reply the back end does not know of; `failed-at-backend`: the outbox took a reply, the back end says it failed.
                 * @enum {string}
                 */
                kind: "lost-reply" | "discarded-but-done" | "unknown-to-backend" | "failed-at-backend";
                /** @description The call's outbox id: the back end's `callId`. */
                callId: string;
                journeyId: string;
                operation: string;
                /** Format: date-time */
                createdAt: string;
                /** @enum {string} */
                outbox: "pending" | "done" | "dead" | "discarded";
                /** @enum {string} */
                backend: "done" | "failed" | "unknown";
                /** @description The back end's reason, when it says the call failed. */
                reason?: string;
                /** @description The reply is in the journey now (replayed, at most once). */
                repaired: boolean;
                /** @description The reply event. */
                eventId?: string;
                /** @description Why the replay failed; the next run tries again. */
                error?: string;
            }[];
        };
        PublishedEventPage: {
            items: {
                /** @description Its place in the feed: pass as `after` (or `Last-Event-ID`) to continue behind it. */
                cursor: string;
                /** @description The key to de-duplicate by; also a webhook’s `webhook-id`. */
                eventId: string;
                /** @description The event name. */
                type: string;
                journeyId: string;
                journeyType: string;
                version: string;
                /** @description The emitting event's place in its journey: one journey's events come in this order. */
                journeySeq: number;
                /** @description The event whose outcome published it. */
                causedBy: string;
                /** Format: date-time */
                publishedAt: string;
                payload: {
                    [key: string]: unknown;
                };
            }[];
            /** @description Pass as `after` for the next page: the last item’s cursor, or the one asked with when the page is empty. */
            cursor: string;
        };
        /** AcceptOffer */
        "mybank.lending.mortgage.v1.0.AcceptOffer": Record<string, never>;
        /** ApplyForMortgage */
        "mybank.lending.mortgage.v1.0.ApplyForMortgage": {
            propertyAddress: string;
            /** @description In euro cents. */
            propertyValue: number;
            /** @description In euro cents. */
            loanAmount: number;
            termMonths: number;
            /** @description In euro cents. */
            annualIncome: number;
        };
        /**
         * CompletionOverdue
         * @description Fired by the completionDeadline timer.
         */
        "mybank.lending.mortgage.v1.0.CompletionOverdue": Record<string, never>;
        /**
         * CreditAssessed
         * @description The credit bureau's answer (reply of creditbureau.assess).
         */
        "mybank.lending.mortgage.v1.0.CreditAssessed": {
            score: number;
            reference: string;
        };
        /**
         * CreditAssessmentFailed
         * @description creditbureau.assess failed after its retries.
         */
        "mybank.lending.mortgage.v1.0.CreditAssessmentFailed": {
            reason: string;
            attempts: number;
        };
        /** DeclineApplication */
        "mybank.lending.mortgage.v1.0.DeclineApplication": {
            reason: string;
        };
        /**
         * DisbursementFailed
         * @description ledger.disburse failed after its retries.
         */
        "mybank.lending.mortgage.v1.0.DisbursementFailed": {
            reason: string;
            attempts: number;
        };
        /**
         * DocumentsReminder
         * @description Fired by the documentReminder timer.
         */
        "mybank.lending.mortgage.v1.0.DocumentsReminder": Record<string, never>;
        /**
         * LoanDisbursed
         * @description The ledger's answer (reply of ledger.disburse).
         */
        "mybank.lending.mortgage.v1.0.LoanDisbursed": {
            disbursementId: string;
            /** Format: date-time */
            disbursedAt: string;
        };
        /** MakeOffer */
        "mybank.lending.mortgage.v1.0.MakeOffer": {
            annualRateBps: number;
        };
        /**
         * OfferExpired
         * @description Fired by the offerValidity timer.
         */
        "mybank.lending.mortgage.v1.0.OfferExpired": Record<string, never>;
        /** RecordDeedSigned */
        "mybank.lending.mortgage.v1.0.RecordDeedSigned": {
            deedReference: string;
            /** Format: date */
            signedOn: string;
        };
        /** UploadDocument */
        "mybank.lending.mortgage.v1.0.UploadDocument": {
            /** @enum {unknown} */
            kind: "identity" | "income" | "valuation";
            documentId: string;
        };
        /** WithdrawApplication */
        "mybank.lending.mortgage.v1.0.WithdrawApplication": {
            reason?: string;
        };
        /** AuthorisePayment */
        "mybank.payment.sct.v2.0.AuthorisePayment": Record<string, never>;
        /**
         * BookingFailed
         * @description booking.book failed after its retries (the engine's dead letter).
         */
        "mybank.payment.sct.v2.0.BookingFailed": {
            reason: string;
            attempts: number;
        };
        /** CancelPayment */
        "mybank.payment.sct.v2.0.CancelPayment": {
            reason?: string;
        };
        /** InitiatePayment */
        "mybank.payment.sct.v2.0.InitiatePayment": {
            /** @description IBAN, upper case without spaces. */
            debtorIban: string;
            /** @description IBAN, upper case without spaces. */
            creditorIban: string;
            creditorName: string;
            /** @description In euro cents. */
            amount: number;
            /** @constant */
            currency: "EUR";
            remittance?: string;
        };
        /**
         * PaymentBooked
         * @description The booking back end's answer (reply of booking.book).
         */
        "mybank.payment.sct.v2.0.PaymentBooked": {
            bookingId: string;
            /** Format: date-time */
            bookedAt: string;
        };
        /**
         * PaymentExpired
         * @description Fired by the expiry timer.
         */
        "mybank.payment.sct.v2.0.PaymentExpired": {
            initiatedAt: number;
        };
        /** CloseWallet */
        "pfm.wallet.v1.0.CloseWallet": Record<string, never>;
        /** Deposit */
        "pfm.wallet.v1.0.Deposit": {
            amount: number;
        };
        /** OpenWallet */
        "pfm.wallet.v1.0.OpenWallet": {
            owner: string;
            currency: string;
        };
        /** Withdraw */
        "pfm.wallet.v1.0.Withdraw": {
            amount: number;
        };
        /**
         * AuthorisationTimedOut
         * @description Fired when the PSU has not answered in time.
         */
        "theglue.psd2.x2a.v1.0.AuthorisationTimedOut": Record<string, never>;
        /** AuthoriseConsent */
        "theglue.psd2.x2a.v1.0.AuthoriseConsent": Record<string, never>;
        /**
         * ConsentExpired
         * @description Fired when the validity period is over.
         */
        "theglue.psd2.x2a.v1.0.ConsentExpired": {
            validFrom?: number;
        };
        /** RecordAccess */
        "theglue.psd2.x2a.v1.0.RecordAccess": {
            /** @enum {unknown} */
            resource: "accounts" | "balances" | "transactions";
        };
        /** RejectConsent */
        "theglue.psd2.x2a.v1.0.RejectConsent": Record<string, never>;
        /** RequestConsent */
        "theglue.psd2.x2a.v1.0.RequestConsent": {
            psu: string;
            accounts: string[];
            /**
             * @description What the TPP may read (each level includes the ones before it).
             * @enum {unknown}
             */
            access: "accounts" | "balances" | "transactions";
            frequencyPerDay: number;
        };
        /** RevokeConsent */
        "theglue.psd2.x2a.v1.0.RevokeConsent": Record<string, never>;
        /** TerminateConsent */
        "theglue.psd2.x2a.v1.0.TerminateConsent": {
            reason?: string;
        };
        /**
         * AuthorisationTimedOut
         * @description Fired when the PSU has not answered in time.
         */
        "theglue.psd2.x2a.v2.0.AuthorisationTimedOut": Record<string, never>;
        /** AuthoriseConsent */
        "theglue.psd2.x2a.v2.0.AuthoriseConsent": Record<string, never>;
        /**
         * ConsentExpired
         * @description Fired when the validity period is over.
         */
        "theglue.psd2.x2a.v2.0.ConsentExpired": {
            validFrom?: number;
        };
        /** RecordAccess */
        "theglue.psd2.x2a.v2.0.RecordAccess": {
            /** @enum {unknown} */
            resource: "accounts" | "balances" | "transactions";
        };
        /** RejectConsent */
        "theglue.psd2.x2a.v2.0.RejectConsent": Record<string, never>;
        /** RenewConsent */
        "theglue.psd2.x2a.v2.0.RenewConsent": Record<string, never>;
        /** RequestConsent */
        "theglue.psd2.x2a.v2.0.RequestConsent": {
            psu: string;
            accounts: string[];
            /**
             * @description What the TPP may read (each level includes the ones before it).
             * @enum {unknown}
             */
            access: "accounts" | "balances" | "transactions";
            frequencyPerDay: number;
        };
        /** RevokeConsent */
        "theglue.psd2.x2a.v2.0.RevokeConsent": Record<string, never>;
        /** TerminateConsent */
        "theglue.psd2.x2a.v2.0.TerminateConsent": {
            reason?: string;
        };
        /** ItemRefused */
        "theglue.signing.basketsign.v1.0.ItemRefused": {
            item: string;
            reason: string;
        };
        /** ItemSigned */
        "theglue.signing.basketsign.v1.0.ItemSigned": {
            item: string;
        };
        /**
         * SignatureFailed
         * @description A start of a signature journey that could not be delivered.
         */
        "theglue.signing.basketsign.v1.0.SignatureFailed": {
            reason: string;
            /** @description The id the signature journey would have had. */
            journeyId: string;
        };
        /** SignatureWithdrawn */
        "theglue.signing.basketsign.v1.0.SignatureWithdrawn": {
            item: string;
            /** @enum {unknown} */
            status: "cancelled" | "revoked";
        };
        /** SubmitBasket */
        "theglue.signing.basketsign.v1.0.SubmitBasket": {
            items: {
                /** @description The item's reference, unique in its basket. */
                id: string;
                /** @description Who signs this item. */
                signer: string;
                /** @description In cents. */
                amount: number;
                currency: string;
                creditor: string;
            }[];
        };
        /** Refuse */
        "theglue.signing.signature.v1.0.Refuse": {
            reason: string;
        };
        /** RequestSignature */
        "theglue.signing.signature.v1.0.RequestSignature": {
            signer: string;
            item: string;
            amount: number;
            currency: string;
            creditor: string;
        };
        /** Sign */
        "theglue.signing.signature.v1.0.Sign": Record<string, never>;
        /** WithdrawSignature */
        "theglue.signing.signature.v1.0.WithdrawSignature": {
            reason: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    "start.mybank.lending.mortgage": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "1.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "ApplyForMortgage";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.ApplyForMortgage"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "start.mybank.payment.sct": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "2.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "InitiatePayment";
                    data: components["schemas"]["mybank.payment.sct.v2.0.InitiatePayment"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "start.pfm.wallet": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "1.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "OpenWallet";
                    data: components["schemas"]["pfm.wallet.v1.0.OpenWallet"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "start.theglue.psd2.x2a": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "1.0" | "2.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "RequestConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.RequestConsent"];
                } | {
                    /** @constant */
                    type: "RequestConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.RequestConsent"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "start.theglue.signing.basketsign": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "1.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "SubmitBasket";
                    data: components["schemas"]["theglue.signing.basketsign.v1.0.SubmitBasket"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "start.theglue.signing.signature": {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description A deployed version, or `latest`. */
                version: "1.0" | "latest";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "RequestSignature";
                    data: components["schemas"]["theglue.signing.signature.v1.0.RequestSignature"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listEvents: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path: {
                journeyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventPage"];
                };
            };
            /** @description Bad id or cursor. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such journey. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    sendEvent: {
        parameters: {
            query?: {
                wait?: number;
            };
            header?: {
                "Idempotency-Key"?: string;
            };
            path: {
                journeyId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @constant */
                    type: "AcceptOffer";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.AcceptOffer"];
                } | {
                    /** @constant */
                    type: "CompletionOverdue";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.CompletionOverdue"];
                } | {
                    /** @constant */
                    type: "CreditAssessed";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.CreditAssessed"];
                } | {
                    /** @constant */
                    type: "CreditAssessmentFailed";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.CreditAssessmentFailed"];
                } | {
                    /** @constant */
                    type: "DeclineApplication";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.DeclineApplication"];
                } | {
                    /** @constant */
                    type: "DisbursementFailed";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.DisbursementFailed"];
                } | {
                    /** @constant */
                    type: "DocumentsReminder";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.DocumentsReminder"];
                } | {
                    /** @constant */
                    type: "LoanDisbursed";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.LoanDisbursed"];
                } | {
                    /** @constant */
                    type: "MakeOffer";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.MakeOffer"];
                } | {
                    /** @constant */
                    type: "OfferExpired";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.OfferExpired"];
                } | {
                    /** @constant */
                    type: "RecordDeedSigned";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.RecordDeedSigned"];
                } | {
                    /** @constant */
                    type: "UploadDocument";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.UploadDocument"];
                } | {
                    /** @constant */
                    type: "WithdrawApplication";
                    data: components["schemas"]["mybank.lending.mortgage.v1.0.WithdrawApplication"];
                } | {
                    /** @constant */
                    type: "AuthorisePayment";
                    data: components["schemas"]["mybank.payment.sct.v2.0.AuthorisePayment"];
                } | {
                    /** @constant */
                    type: "BookingFailed";
                    data: components["schemas"]["mybank.payment.sct.v2.0.BookingFailed"];
                } | {
                    /** @constant */
                    type: "CancelPayment";
                    data: components["schemas"]["mybank.payment.sct.v2.0.CancelPayment"];
                } | {
                    /** @constant */
                    type: "PaymentBooked";
                    data: components["schemas"]["mybank.payment.sct.v2.0.PaymentBooked"];
                } | {
                    /** @constant */
                    type: "PaymentExpired";
                    data: components["schemas"]["mybank.payment.sct.v2.0.PaymentExpired"];
                } | {
                    /** @constant */
                    type: "CloseWallet";
                    data: components["schemas"]["pfm.wallet.v1.0.CloseWallet"];
                } | {
                    /** @constant */
                    type: "Deposit";
                    data: components["schemas"]["pfm.wallet.v1.0.Deposit"];
                } | {
                    /** @constant */
                    type: "Withdraw";
                    data: components["schemas"]["pfm.wallet.v1.0.Withdraw"];
                } | {
                    /** @constant */
                    type: "AuthorisationTimedOut";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.AuthorisationTimedOut"];
                } | {
                    /** @constant */
                    type: "AuthoriseConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.AuthoriseConsent"];
                } | {
                    /** @constant */
                    type: "ConsentExpired";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.ConsentExpired"];
                } | {
                    /** @constant */
                    type: "RecordAccess";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.RecordAccess"];
                } | {
                    /** @constant */
                    type: "RejectConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.RejectConsent"];
                } | {
                    /** @constant */
                    type: "RevokeConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.RevokeConsent"];
                } | {
                    /** @constant */
                    type: "TerminateConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v1.0.TerminateConsent"];
                } | {
                    /** @constant */
                    type: "AuthorisationTimedOut";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.AuthorisationTimedOut"];
                } | {
                    /** @constant */
                    type: "AuthoriseConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.AuthoriseConsent"];
                } | {
                    /** @constant */
                    type: "ConsentExpired";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.ConsentExpired"];
                } | {
                    /** @constant */
                    type: "RecordAccess";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.RecordAccess"];
                } | {
                    /** @constant */
                    type: "RejectConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.RejectConsent"];
                } | {
                    /** @constant */
                    type: "RenewConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.RenewConsent"];
                } | {
                    /** @constant */
                    type: "RevokeConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.RevokeConsent"];
                } | {
                    /** @constant */
                    type: "TerminateConsent";
                    data: components["schemas"]["theglue.psd2.x2a.v2.0.TerminateConsent"];
                } | {
                    /** @constant */
                    type: "ItemRefused";
                    data: components["schemas"]["theglue.signing.basketsign.v1.0.ItemRefused"];
                } | {
                    /** @constant */
                    type: "ItemSigned";
                    data: components["schemas"]["theglue.signing.basketsign.v1.0.ItemSigned"];
                } | {
                    /** @constant */
                    type: "SignatureFailed";
                    data: components["schemas"]["theglue.signing.basketsign.v1.0.SignatureFailed"];
                } | {
                    /** @constant */
                    type: "SignatureWithdrawn";
                    data: components["schemas"]["theglue.signing.basketsign.v1.0.SignatureWithdrawn"];
                } | {
                    /** @constant */
                    type: "Refuse";
                    data: components["schemas"]["theglue.signing.signature.v1.0.Refuse"];
                } | {
                    /** @constant */
                    type: "Sign";
                    data: components["schemas"]["theglue.signing.signature.v1.0.Sign"];
                } | {
                    /** @constant */
                    type: "WithdrawSignature";
                    data: components["schemas"]["theglue.signing.signature.v1.0.WithdrawSignature"];
                };
            };
        };
        responses: {
            /** @description With `?wait`: the event was handled within the wait. `outcome` is `applied` or `rejected` (a business refusal — the detail is in `rejection`; the event is recorded and will not be retried). */
            200: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventOutcome"];
                };
            };
            /** @description The event is durable (committed); it will be handled. `Location` names the journey. */
            202: {
                headers: {
                    /** @description `/journeys/{journeyId}` */
                    Location?: string;
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AcceptResult"];
                };
            };
            /** @description Malformed request, too deep, or the payload violates its schema (`details.violations` lists every one with a JSON pointer). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The sender may not send this event (decided before acceptance). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type/version or journey id. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown event type for the journey, initiating/non-initiating mismatch, or an idempotency key reused for a different request. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The engine is overloaded or unavailable; see `Retry-After`. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getJourney: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                journeyId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The journey. */
            200: {
                headers: {
                    /** @description The node (`NODE_ID`) that owns the journey, as this node last saw it; absent while unknown. A hint: send the journey's next events to that node (directly, or by a gateway's routing) and they skip a forward; any node still accepts them. */
                    "X-Journey-Owner"?: string;
                    /** @description The owner's base URL, when that node advertises one (`ADVERTISE_URL`). */
                    "X-Journey-Owner-Url"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JourneyView"];
                };
            };
            /** @description Malformed id. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No such journey. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    searchJourneys: {
        parameters: {
            query: {
                type: "mybank/lending/mortgage" | "mybank/payment/sct" | "pfm/wallet" | "theglue/psd2/x2a" | "theglue/signing/basketsign" | "theglue/signing/signature";
                version?: string;
                cursor?: string;
                limit?: number;
                /** @description Search field (string) of mybank/lending/mortgage; exact match. */
                applicant?: string;
                /** @description Search field (string) of mybank/payment/sct; exact match. */
                debtorIban?: string;
                /** @description Search field (string) of mybank/payment/sct, theglue/signing/basketsign; exact match. */
                initiator?: string;
                /** @description Search field (string) of pfm/wallet; exact match. */
                owner?: string;
                /** @description Search field (string) of theglue/psd2/x2a; exact match. */
                psu?: string;
                /** @description Search field (string) of theglue/signing/signature; exact match. */
                signer?: string;
                /** @description Search field (string) of mybank/lending/mortgage, mybank/payment/sct, pfm/wallet, theglue/psd2/x2a, theglue/signing/basketsign, theglue/signing/signature; exact match. */
                status?: string;
                /** @description Search field (string) of theglue/psd2/x2a; exact match. */
                tpp?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of journeys. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JourneyPage"];
                };
            };
            /** @description Unknown search field (`details.allowedFields` lists the declared ones) or bad value. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Unknown journey type or version. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deployments: {
        parameters: {
            query?: {
                instances?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Without `instances`: the versions this node knows. With `instances=true`: every version ever deployed, its instances by lifecycle, hosts, and whether it can be retired. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployments"] | components["schemas"]["DrainReport"];
                };
            };
            /** @description Bad query parameter. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deploy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VersionBundle"];
            };
        };
        responses: {
            /** @description That version was already deployed with the same content; nothing changed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeployResult"];
                };
            };
            /** @description Deployed. */
            201: {
                headers: {
                    /** @description `/deployments/{journey type}` */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeployResult"];
                };
            };
            /** @description Malformed bundle, or its content does not match its content hash (`JE_BUNDLE_INVALID`). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version holds other content (`JE_DEPLOYMENT_CONFLICT`, `details.files` names the files that differ), breaks compatibility or an uplift (`JE_DEPLOYMENT_INCOMPATIBLE`, `details.violations` with JSON pointers), or no lane is left (`JE_DEPLOYMENT_LIMIT`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The bundle exceeds the size limit. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.mybank.lending.mortgage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.mybank.lending.mortgage": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.mybank.payment.sct": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.mybank.payment.sct": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.pfm.wallet": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.pfm.wallet": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.theglue.psd2.x2a": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.theglue.psd2.x2a": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.theglue.signing.basketsign": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.theglue.signing.basketsign": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "history.theglue.signing.signature": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The history. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentHistory"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type was ever deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    "undeploy.theglue.signing.signature": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Undeployed (or already undeployed: `changed` false). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UndeployResult"];
                };
            };
            /** @description Malformed version. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description That version was never deployed. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The version still has pending or active instances (`JE_DEPLOYMENT_IN_USE`, `details.instances`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deadLetters: {
        parameters: {
            query?: {
                kind?: "call" | "message" | "webhook";
                status?: "dead" | "discarded";
                system?: string;
                journeyType?: string;
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of dead letters. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetterPage"];
                };
            };
            /** @description Bad query parameter or cursor. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A call's outbox id, a message's id, or a webhook delivery's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The dead letter, whatever became of it since (retrying, answered or delivered, dead again, discarded). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetter"];
                };
            };
            /** @description Malformed id. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No call, message or webhook delivery that went dead has that id (`JE_DEAD_LETTER_NOT_FOUND`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    retryDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A call's outbox id, a message's id, or a webhook delivery's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Why it is retried (recorded with the operator). */
                    note?: string;
                };
            };
        };
        responses: {
            /** @description Retrying: it runs in the background; follow it with `GET /dead-letters/{id}`. */
            202: {
                headers: {
                    /** @description `/dead-letters/{id}` */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetter"];
                };
            };
            /** @description Malformed id or body. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No call, message or webhook delivery that went dead has that id (`JE_DEAD_LETTER_NOT_FOUND`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description It is not dead now: retried or discarded already (`JE_DEAD_LETTER_SETTLED`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    discardDeadLetter: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A call's outbox id, a message's id, or a webhook delivery's id. */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description Why it is discarded (recorded with the operator). */
                    reason?: string;
                };
            };
        };
        responses: {
            /** @description Discarded. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetter"];
                };
            };
            /** @description Malformed id or body. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No call, message or webhook delivery that went dead has that id (`JE_DEAD_LETTER_NOT_FOUND`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description It is not dead now: retried or discarded already (`JE_DEAD_LETTER_SETTLED`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    reconcileBackend: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                system: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /**
                     * Format: date-time
                     * @description Compare the calls made from then on, instead of those behind the back end's high-water mark.
                     */
                    since?: string;
                    /**
                     * @description Replay the replies the back end gave and the journeys never got (lost replies).
                     * @default false
                     */
                    repair?: boolean;
                    /**
                     * @description At most this many calls (`more`: run again for the rest).
                     * @default 1000
                     */
                    limit?: number;
                };
            };
        };
        responses: {
            /** @description The report: calls compared, mismatches (repaired or not), the high-water mark. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReconcileReport"];
                };
            };
            /** @description Malformed system name or body. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller lacks the `operator` role. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The body is not `application/json`. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The back end cannot be reconciled: not configured on this node, or an adapter without `query` (`JE_RECONCILE_UNSUPPORTED`). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The back end's query failed (`JE_BACKEND_FAILED`). */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Not ready. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    publishedEvents: {
        parameters: {
            query: {
                type: string;
                version?: string;
                events?: string;
                after?: string;
                limit?: number;
                wait?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of published events (or, asked for, a stream of them). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublishedEventPage"];
                    "text/event-stream": string;
                };
            };
            /** @description Bad query parameter. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid credentials. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The caller has neither the `subscriber` nor the `operator` role, or its tenant may not use the type. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description No version of the type is deployed (`JE_JOURNEY_TYPE_UNKNOWN`). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Rate limit exceeded; see `Retry-After`. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
}
