// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of theglue/psd2/x2a 1.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** theglue/psd2/x2a 1.0: the journey's data is {@link ConsentData}; its events are listed in {@link X2aEvents}. */

export interface ConsentData {
  /**
   * The third-party provider (sender of RequestConsent).
   */
  tpp: string;
  /**
   * The payment service user whose accounts are read.
   */
  psu: string;
  /**
   * @minItems 1
   * @maxItems 10
   */
  accounts:
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string];
  /**
   * What the TPP may read (each level includes the ones before it).
   */
  access: "accounts" | "balances" | "transactions";
  frequencyPerDay: number;
  /**
   * Berlin Group consent status.
   */
  status: "received" | "rejected" | "valid" | "revokedByPsu" | "terminatedByTpp" | "expired";
  requestedAt: number;
  validFrom?: number;
  accessCount: number;
}

export interface AccountsAccessed {
  resource: "accounts" | "balances" | "transactions";
  accessCount: number;
}

/**
 * Fired when the PSU has not answered in time.
 */
export interface AuthorisationTimedOut {}

export interface AuthoriseConsent {}

export interface ConsentEnded {
  /**
   * Berlin Group consent status.
   */
  status: "received" | "rejected" | "valid" | "revokedByPsu" | "terminatedByTpp" | "expired";
  by: string;
}

/**
 * Fired when the validity period is over.
 */
export interface ConsentExpired {
  validFrom?: number;
}

export interface ConsentReceived {
  tpp: string;
  psu: string;
}

export interface ConsentRejected {
  reason: string;
}

export interface ConsentValid {
  tpp: string;
  psu: string;
  /**
   * What the TPP may read (each level includes the ones before it).
   */
  access: "accounts" | "balances" | "transactions";
}

export interface RecordAccess {
  resource: "accounts" | "balances" | "transactions";
}

export interface RejectConsent {}

export interface RequestConsent {
  psu: string;
  /**
   * @minItems 1
   * @maxItems 10
   */
  accounts:
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string]
    | [string, string, string, string, string, string]
    | [string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string]
    | [string, string, string, string, string, string, string, string, string, string];
  /**
   * What the TPP may read (each level includes the ones before it).
   */
  access: "accounts" | "balances" | "transactions";
  frequencyPerDay: number;
}

export interface RevokeConsent {}

export interface TerminateConsent {
  reason?: string;
}

/** Every event of theglue/psd2/x2a 1.0, by type: the type of its payload. */
export interface X2aEvents {
  AccountsAccessed: AccountsAccessed;
  AuthorisationTimedOut: AuthorisationTimedOut;
  AuthoriseConsent: AuthoriseConsent;
  ConsentEnded: ConsentEnded;
  ConsentExpired: ConsentExpired;
  ConsentReceived: ConsentReceived;
  ConsentRejected: ConsentRejected;
  ConsentValid: ConsentValid;
  RecordAccess: RecordAccess;
  RejectConsent: RejectConsent;
  RequestConsent: RequestConsent;
  RevokeConsent: RevokeConsent;
  TerminateConsent: TerminateConsent;
}

/** An event as the engine carries it: its type and its payload. */
export type X2aEvent = { [K in keyof X2aEvents]: { type: K; payload: X2aEvents[K] } }[keyof X2aEvents];
