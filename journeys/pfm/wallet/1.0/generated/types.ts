// GENERATED FILE: DO NOT EDIT. Source: the JSON Schemas of pfm/wallet 1.0 (its journey.jd names them).
// Regenerate with `npm run journey -- types journeys/`. json-schema-to-typescript 16.0.0.

/** pfm/wallet 1.0: the journey's data is {@link WalletData}; its events are listed in {@link WalletEvents}. */

export interface WalletData {
  owner: string;
  currency: string;
  /**
   * In minor units (cents).
   */
  balance: number;
  status: "open" | "closed";
  deposits: number;
  withdrawals: number;
}

export interface CloseWallet {}

export interface Deposit {
  amount: number;
}

export interface Deposited {
  amount: number;
  balance: number;
}

export interface OpenWallet {
  owner: string;
  currency: string;
}

export interface WalletClosed {
  owner: string;
}

export interface WalletOpened {
  owner: string;
  currency: string;
}

export interface Withdraw {
  amount: number;
}

export interface WithdrawalRejected {
  amount: number;
  balance: number;
  reason: string;
}

export interface Withdrawn {
  amount: number;
  balance: number;
}

/** Every event of pfm/wallet 1.0, by type: the type of its payload. */
export interface WalletEvents {
  CloseWallet: CloseWallet;
  Deposit: Deposit;
  Deposited: Deposited;
  OpenWallet: OpenWallet;
  WalletClosed: WalletClosed;
  WalletOpened: WalletOpened;
  Withdraw: Withdraw;
  WithdrawalRejected: WithdrawalRejected;
  Withdrawn: Withdrawn;
}

/** An event as the engine carries it: its type and its payload. */
export type WalletEvent = { [K in keyof WalletEvents]: { type: K; payload: WalletEvents[K] } }[keyof WalletEvents];
