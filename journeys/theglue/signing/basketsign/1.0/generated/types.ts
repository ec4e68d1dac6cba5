// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of theglue/signing/basketsign 1.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** theglue/signing/basketsign 1.0: the journey's data is {@link BasketData}; its events are listed in {@link BasketsignEvents}. */

export interface BasketData {
  /**
   * Who submitted the basket.
   */
  initiator: string;
  /**
   * @minItems 1
   * @maxItems 50
   */
  items: [Item, ...Item[]];
  /**
   * Items signed so far.
   */
  signed: number;
  status: "signing" | "completed" | "rejected";
  /**
   * Why the basket was rejected.
   */
  reason?: string;
}
export interface Item {
  /**
   * The item's reference, unique in its basket.
   */
  id: string;
  /**
   * Who signs this item.
   */
  signer: string;
  /**
   * In cents.
   */
  amount: number;
  currency: string;
  creditor: string;
  status?: "pending" | "signed" | "refused" | "cancelled" | "revoked" | "failed";
  /**
   * The id of the signature journey of this item.
   */
  signature?: string;
}

export interface BasketCompleted {
  items: number;
}

export interface BasketRejected {
  reason: string;
}

export interface ItemRefused {
  item: string;
  reason: string;
}

export interface ItemSigned {
  item: string;
}

export interface RequestSignature {
  signer: string;
  item: string;
  amount: number;
  currency: string;
  creditor: string;
}

/**
 * A start of a signature journey that could not be delivered.
 */
export interface SignatureFailed {
  reason: string;
  /**
   * The id the signature journey would have had.
   */
  journeyId: string;
}

export interface SignatureWithdrawn {
  item: string;
  status: "cancelled" | "revoked";
}

export interface SubmitBasket {
  /**
   * @minItems 1
   * @maxItems 50
   */
  items: [
    {
      /**
       * The item's reference, unique in its basket.
       */
      id: string;
      /**
       * Who signs this item.
       */
      signer: string;
      /**
       * In cents.
       */
      amount: number;
      currency: string;
      creditor: string;
    },
    ...{
      /**
       * The item's reference, unique in its basket.
       */
      id: string;
      /**
       * Who signs this item.
       */
      signer: string;
      /**
       * In cents.
       */
      amount: number;
      currency: string;
      creditor: string;
    }[]
  ];
}

export interface WithdrawSignature {
  reason: string;
}

/** Every event of theglue/signing/basketsign 1.0, by type: the type of its payload. */
export interface BasketsignEvents {
  BasketCompleted: BasketCompleted;
  BasketRejected: BasketRejected;
  ItemRefused: ItemRefused;
  ItemSigned: ItemSigned;
  RequestSignature: RequestSignature;
  SignatureFailed: SignatureFailed;
  SignatureWithdrawn: SignatureWithdrawn;
  SubmitBasket: SubmitBasket;
  WithdrawSignature: WithdrawSignature;
}

/** An event as the engine carries it: its type and its payload. */
export type BasketsignEvent = { [K in keyof BasketsignEvents]: { type: K; payload: BasketsignEvents[K] } }[keyof BasketsignEvents];
