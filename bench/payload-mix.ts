/**
 * Requests of mixed sizes for the memory soak (`--mixed-payloads`).
 *
 * The wallet is a public contract and takes `{ amount }` only: its event schemas
 * (`additionalProperties: false`) and the API's body schema (`type` and `data`, nothing else, with
 * ajv's `removeAdditional` off) refuse any other member, so no extra byte of a wallet request's
 * JSON can be stored. Two honest carriers remain, and the mix uses both:
 * - the body, padded with insignificant JSON whitespace to the drawn size: every byte crosses the
 *   socket and is buffered, depth-scanned, decoded and parsed by the API node — the request path's
 *   memory, up to the body limit — and the parsed event is as small as ever;
 * - the sender's roles (`X-Dev-Roles`), which the engine stores in the event's context with every
 *   event: at most 32 roles of 64 characters (api/auth.ts), so the larger classes also store and
 *   hand around about 2 KiB more per event.
 *
 * A request's class and size follow from (wallet, k), so a run can be repeated byte for byte.
 */

/**
 * The API's body limit: the engine's default (`BODY_LIMIT_BYTES`, common/config.ts), which the
 * bench also sets on every node it starts, so the "near the limit" class is near the real limit.
 */
export const API_BODY_LIMIT_BYTES = 65_536;

export const PAYLOAD_CLASSES = ['small', 'medium', 'large'] as const;
export type PayloadClass = (typeof PAYLOAD_CLASSES)[number];

/** Planned share of requests per class, in percent, and how each class is sized. */
export const PAYLOAD_PLAN: Readonly<Record<PayloadClass, { percent: number; sized: string }>> = {
  small: { percent: 90, sized: 'the bare body up to 1 KiB' },
  medium: { percent: 9, sized: '14–18 KiB' },
  large: { percent: 1, sized: 'within 1 KiB under the body limit' },
};

/** Role names the API accepts (api/auth.ts): at most this many, each at most this long. */
const MAX_ROLES = 32;
const MAX_ROLE_LENGTH = 64;

/** `auditor` (the wallet's read rule shows a deposit's outcome to auditors) and 31 roles of 64 characters. */
const PADDED_ROLES = [
  'auditor',
  ...Array.from({ length: MAX_ROLES - 1 }, (_, i) => `bench-pad-${String(i).padStart(2, '0')}-`.padEnd(MAX_ROLE_LENGTH, 'r')),
].join(',');

export interface ShapedRequest {
  payloadClass: PayloadClass;
  /** The JSON body as sent. */
  text: string;
  bodyBytes: number;
  /** The `X-Dev-Roles` header as sent. */
  roles: string;
}

/** What a soak's requests carried, per class. */
export interface PayloadReport {
  bodyLimitBytes: number;
  classes: Array<{
    name: PayloadClass;
    /** Planned share of requests, percent. */
    plannedPercent: number;
    sent: number;
    /** Answered 4xx (a 413 would mean the class overstepped the body limit). */
    refused: number;
    minBodyBytes: number;
    maxBodyBytes: number;
    /** Characters of roles stored in each event's context. */
    storedRoleChars: number;
  }>;
  /** Request bodies sent in all, MiB. */
  bodyMiB: number;
}

/** A 32-bit mix of two integers (murmur3's finaliser): spreads (wallet, k) evenly over the classes. */
function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

export function payloadClassOf(wallet: number, k: number): PayloadClass {
  const percentile = mix32(wallet, k) % 100;
  if (percentile < PAYLOAD_PLAN.small.percent) return 'small';
  return percentile < PAYLOAD_PLAN.small.percent + PAYLOAD_PLAN.medium.percent ? 'medium' : 'large';
}

/** The body size drawn for a request of this class (the bare body when that is larger). */
export function bodyBytesFor(payloadClass: PayloadClass, wallet: number, k: number, bodyLimitBytes: number): number {
  const draw = mix32(k, wallet);
  switch (payloadClass) {
    case 'small':
      return draw % 1024;
    case 'medium':
      return 14 * 1024 + (draw % (4 * 1024));
    case 'large':
      return bodyLimitBytes - 1 - (draw % 1024);
  }
}

/** `json` (an object's text) padded with spaces before its closing brace to `bytes`: the same JSON value. */
export function padJson(json: string, bytes: number): string {
  return bytes <= json.length ? json : `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`;
}

/** Shapes every request of a soak and counts what was sent. */
export class PayloadMix {
  private readonly tallies = new Map<PayloadClass, { sent: number; refused: number; minBodyBytes: number; maxBodyBytes: number; bodyBytes: number }>();

  constructor(readonly bodyLimitBytes: number = API_BODY_LIMIT_BYTES) {}

  shape(wallet: number, k: number, body: object): ShapedRequest {
    const payloadClass = payloadClassOf(wallet, k);
    const text = padJson(JSON.stringify(body), bodyBytesFor(payloadClass, wallet, k, this.bodyLimitBytes));
    return { payloadClass, text, bodyBytes: Buffer.byteLength(text), roles: payloadClass === 'small' ? 'auditor' : PADDED_ROLES };
  }

  tally(request: ShapedRequest, status: number): void {
    const t = this.tallies.get(request.payloadClass) ?? { sent: 0, refused: 0, minBodyBytes: Infinity, maxBodyBytes: 0, bodyBytes: 0 };
    t.sent += 1;
    if (status >= 400 && status < 500) t.refused += 1;
    t.minBodyBytes = Math.min(t.minBodyBytes, request.bodyBytes);
    t.maxBodyBytes = Math.max(t.maxBodyBytes, request.bodyBytes);
    t.bodyBytes += request.bodyBytes;
    this.tallies.set(request.payloadClass, t);
  }

  report(): PayloadReport {
    let bytes = 0;
    const classes = PAYLOAD_CLASSES.map((name) => {
      const t = this.tallies.get(name);
      bytes += t?.bodyBytes ?? 0;
      return {
        name,
        plannedPercent: PAYLOAD_PLAN[name].percent,
        sent: t?.sent ?? 0,
        refused: t?.refused ?? 0,
        minBodyBytes: t && t.sent > 0 ? t.minBodyBytes : 0,
        maxBodyBytes: t?.maxBodyBytes ?? 0,
        storedRoleChars: JSON.stringify((name === 'small' ? 'auditor' : PADDED_ROLES).split(',')).length,
      };
    });
    return { bodyLimitBytes: this.bodyLimitBytes, classes, bodyMiB: Math.round((bytes / 2 ** 20) * 10) / 10 };
  }
}

/** One line for reports: what each class carried and how often. */
export function payloadLine(report: PayloadReport): string {
  const sent = report.classes.reduce((a, c) => a + c.sent, 0);
  const parts = report.classes.map(
    (c) =>
      `${c.name} ${sent > 0 ? Math.round((c.sent / sent) * 1000) / 10 : 0}% (${c.sent} requests, bodies ${c.minBodyBytes}–${c.maxBodyBytes} B, ${c.storedRoleChars} role characters stored per event${c.refused > 0 ? `, ${c.refused} refused` : ''})`,
  );
  return `${parts.join('; ')}; ${report.bodyMiB} MiB of bodies in all, body limit ${report.bodyLimitBytes} B`;
}
