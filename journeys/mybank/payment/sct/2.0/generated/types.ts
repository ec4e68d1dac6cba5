// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of mybank/payment/sct 2.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** mybank/payment/sct 2.0: the journey's data is {@link PaymentData}; its events are listed in {@link SctEvents}. */

export interface PaymentData {
  /**
   * Who initiated the payment (the sender of InitiatePayment).
   */
  initiator: string;
  /**
   * IBAN, upper case without spaces.
   */
  debtorIban: string;
  /**
   * IBAN, upper case without spaces.
   */
  creditorIban: string;
  creditorName: string;
  /**
   * In euro cents.
   */
  amount: number;
  currency: "EUR";
  /**
   * Unstructured remittance information.
   */
  remittance: string;
  status: "initiated" | "booking" | "booked" | "cancelled" | "expired" | "failed";
  /**
   * ms since the epoch.
   */
  initiatedAt: number;
  /**
   * ms since the epoch.
   */
  authorisedAt?: number;
  bookingId?: string;
  bookedAt?: string;
  cancelledBy?: string;
  failureReason?: string;
}

export interface AuthorisePayment {}

/**
 * booking.book failed after its retries (the engine's dead letter).
 */
export interface BookingFailed {
  reason: string;
  attempts: number;
}

export interface CancelPayment {
  reason?: string;
}

export interface InitiatePayment {
  /**
   * IBAN, upper case without spaces.
   */
  debtorIban: string;
  /**
   * IBAN, upper case without spaces.
   */
  creditorIban: string;
  creditorName: string;
  /**
   * In euro cents.
   */
  amount: number;
  currency: "EUR";
  remittance?: string;
}

export interface PaymentAuthorised {
  /**
   * In euro cents.
   */
  amount: number;
}

/**
 * The booking back end's answer (reply of booking.book).
 */
export interface PaymentBooked {
  bookingId: string;
  bookedAt: string;
}

export interface PaymentCancelled {
  cancelledBy: string;
  reason: string;
}

export interface PaymentExecuted {
  bookingId: string;
  /**
   * In euro cents.
   */
  amount: number;
  /**
   * IBAN, upper case without spaces.
   */
  creditorIban: string;
}

/**
 * Fired by the expiry timer.
 */
export interface PaymentExpired {
  initiatedAt: number;
}

export interface PaymentInitiated {
  /**
   * IBAN, upper case without spaces.
   */
  debtorIban: string;
  /**
   * IBAN, upper case without spaces.
   */
  creditorIban: string;
  /**
   * In euro cents.
   */
  amount: number;
  currency: "EUR";
}

export interface PaymentRejected {
  reason: string;
}

/** Every event of mybank/payment/sct 2.0, by type: the type of its payload. */
export interface SctEvents {
  AuthorisePayment: AuthorisePayment;
  BookingFailed: BookingFailed;
  CancelPayment: CancelPayment;
  InitiatePayment: InitiatePayment;
  PaymentAuthorised: PaymentAuthorised;
  PaymentBooked: PaymentBooked;
  PaymentCancelled: PaymentCancelled;
  PaymentExecuted: PaymentExecuted;
  PaymentExpired: PaymentExpired;
  PaymentInitiated: PaymentInitiated;
  PaymentRejected: PaymentRejected;
}

/** An event as the engine carries it: its type and its payload. */
export type SctEvent = { [K in keyof SctEvents]: { type: K; payload: SctEvents[K] } }[keyof SctEvents];
