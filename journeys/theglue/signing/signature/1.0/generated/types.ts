// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of theglue/signing/signature 1.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** theglue/signing/signature 1.0: the journey's data is {@link SignatureData}; its events are listed in {@link SignatureEvents}. */

export interface SignatureData {
  /**
   * The id of the journey that asked for the signature (a basket): answers go to it.
   */
  requester: string;
  signer: string;
  item: string;
  amount: number;
  currency: string;
  creditor: string;
  status: "pending" | "signed" | "refused" | "cancelled" | "revoked";
  signedAt?: number;
  reason?: string;
}

export interface ItemRefused {
  item: string;
  reason: string;
}

export interface ItemSigned {
  item: string;
}

export interface Refuse {
  reason: string;
}

export interface RequestSignature {
  signer: string;
  item: string;
  amount: number;
  currency: string;
  creditor: string;
}

export interface Sign {}

export interface SignatureWithdrawn {
  item: string;
  status: "cancelled" | "revoked";
}

export interface WithdrawSignature {
  reason: string;
}

/** Every event of theglue/signing/signature 1.0, by type: the type of its payload. */
export interface SignatureEvents {
  ItemRefused: ItemRefused;
  ItemSigned: ItemSigned;
  Refuse: Refuse;
  RequestSignature: RequestSignature;
  Sign: Sign;
  SignatureWithdrawn: SignatureWithdrawn;
  WithdrawSignature: WithdrawSignature;
}

/** An event as the engine carries it: its type and its payload. */
export type SignatureEvent = { [K in keyof SignatureEvents]: { type: K; payload: SignatureEvents[K] } }[keyof SignatureEvents];
