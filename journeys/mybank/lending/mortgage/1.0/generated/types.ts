// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of mybank/lending/mortgage 1.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** mybank/lending/mortgage 1.0: the journey's data is {@link MortgageData}; its events are listed in {@link MortgageEvents}. */

export interface MortgageData {
  applicant: string;
  status:
    | "submitted"
    | "assessing"
    | "underwriting"
    | "offered"
    | "accepted"
    | "disbursing"
    | "completed"
    | "declined"
    | "withdrawn"
    | "lapsed"
    | "expired"
    | "failed";
  propertyAddress: string;
  /**
   * In euro cents.
   */
  propertyValue: number;
  /**
   * In euro cents.
   */
  loanAmount: number;
  termMonths: number;
  /**
   * In euro cents.
   */
  annualIncome: number;
  submittedAt: number;
  documents: {
    /**
     * Document id in the document store; null until uploaded.
     */
    identity: string | null;
    /**
     * Document id in the document store; null until uploaded.
     */
    income: string | null;
    /**
     * Document id in the document store; null until uploaded.
     */
    valuation: string | null;
  };
  reminders: number;
  creditScore?: number | null;
  manualReview: boolean;
  underwriter?: string;
  /**
   * Offered rate in basis points (1/100 of a percent).
   */
  annualRateBps?: number;
  /**
   * In euro cents (annuity, rounded up).
   */
  monthlyPayment?: number;
  offerValidUntil?: number;
  declineReason?: string;
  notary?: string;
  deedReference?: string;
  disbursementId?: string;
  failureReason?: string;
}

export interface AcceptOffer {}

export interface ApplicantReminded {
  applicant: string;
  reminder: number;
}

export interface ApplicationLapsed {
  applicant: string;
}

export interface ApplicationWithdrawn {
  applicant: string;
  reason: string;
}

export interface ApplyForMortgage {
  propertyAddress: string;
  /**
   * In euro cents.
   */
  propertyValue: number;
  /**
   * In euro cents.
   */
  loanAmount: number;
  termMonths: number;
  /**
   * In euro cents.
   */
  annualIncome: number;
}

/**
 * Fired by the completionDeadline timer.
 */
export interface CompletionOverdue {}

/**
 * The credit bureau's answer (reply of creditbureau.assess).
 */
export interface CreditAssessed {
  score: number;
  reference: string;
}

/**
 * creditbureau.assess failed after its retries.
 */
export interface CreditAssessmentFailed {
  reason: string;
  attempts: number;
}

export interface DeclineApplication {
  reason: string;
}

/**
 * ledger.disburse failed after its retries.
 */
export interface DisbursementFailed {
  reason: string;
  attempts: number;
}

export interface DocumentsReceived {
  applicant: string;
}

/**
 * Fired by the documentReminder timer.
 */
export interface DocumentsReminder {}

/**
 * The ledger's answer (reply of ledger.disburse).
 */
export interface LoanDisbursed {
  disbursementId: string;
  disbursedAt: string;
}

export interface MakeOffer {
  annualRateBps: number;
}

export interface MortgageApplied {
  applicant: string;
  /**
   * In euro cents.
   */
  loanAmount: number;
}

export interface MortgageCompleted {
  applicant: string;
  disbursementId: string;
}

export interface MortgageDeclined {
  reason: string;
}

export interface MortgageOffered {
  annualRateBps: number;
  monthlyPayment: number;
  validUntil: number;
}

export interface OfferAccepted {
  applicant: string;
  monthlyPayment: number;
}

/**
 * Fired by the offerValidity timer.
 */
export interface OfferExpired {}

export interface ReadyForUnderwriting {
  applicant: string;
  creditScore: number | null;
  manualReview: boolean;
}

export interface RecordDeedSigned {
  deedReference: string;
  signedOn: string;
}

export interface UploadDocument {
  kind: "identity" | "income" | "valuation";
  documentId: string;
}

export interface WithdrawApplication {
  reason?: string;
}

/** Every event of mybank/lending/mortgage 1.0, by type: the type of its payload. */
export interface MortgageEvents {
  AcceptOffer: AcceptOffer;
  ApplicantReminded: ApplicantReminded;
  ApplicationLapsed: ApplicationLapsed;
  ApplicationWithdrawn: ApplicationWithdrawn;
  ApplyForMortgage: ApplyForMortgage;
  CompletionOverdue: CompletionOverdue;
  CreditAssessed: CreditAssessed;
  CreditAssessmentFailed: CreditAssessmentFailed;
  DeclineApplication: DeclineApplication;
  DisbursementFailed: DisbursementFailed;
  DocumentsReceived: DocumentsReceived;
  DocumentsReminder: DocumentsReminder;
  LoanDisbursed: LoanDisbursed;
  MakeOffer: MakeOffer;
  MortgageApplied: MortgageApplied;
  MortgageCompleted: MortgageCompleted;
  MortgageDeclined: MortgageDeclined;
  MortgageOffered: MortgageOffered;
  OfferAccepted: OfferAccepted;
  OfferExpired: OfferExpired;
  ReadyForUnderwriting: ReadyForUnderwriting;
  RecordDeedSigned: RecordDeedSigned;
  UploadDocument: UploadDocument;
  WithdrawApplication: WithdrawApplication;
}

/** An event as the engine carries it: its type and its payload. */
export type MortgageEvent = { [K in keyof MortgageEvents]: { type: K; payload: MortgageEvents[K] } }[keyof MortgageEvents];
