/**
 * Static analysis: states and what they accept, senders, and each finding on a journey written
 * to have it; the example journeys have none.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeJourney, analyzeJourneys, compileJourney, compileJourneys, exprText, formatAnalysis } from '../../dsl/index.js';
import type { AnalysisFinding, CompiledJourney } from '../../dsl/index.js';

const OBJECT = JSON.stringify({ type: 'object' });

/**
 * Compiles an inline journey whose data and events accept anything. Unless it has read rules of
 * its own, it gets `read allow role "auditor"` at the end, so that only the findings a test is
 * about are reported.
 */
function journey(source: string, events: string[]): CompiledJourney {
  const files = new Map<string, string>([['data.json', OBJECT], ...events.map((e) => [`${e}.json`, OBJECT] as [string, string])]);
  const declarations = events.map((e) => `event ${e} schema "${e}.json"`).join('\n');
  const readRule = source.includes('read allow') ? '' : '\nread allow role "auditor"';
  const text = source.replace('%events%', `data schema "data.json"\n${declarations}`) + readRule;
  const output = compileJourney({ file: 'test.jd', source: text, files });
  if (!output.journey) throw new Error(output.diagnostics.map((d) => d.message).join('\n'));
  return output.journey;
}

const codes = (findings: AnalysisFinding[]): Array<[string, string]> => findings.map((f) => [f.code, f.message]);

let examples: CompiledJourney[];

beforeAll(async () => {
  examples = (await compileJourneys(resolve(import.meta.dirname, '../../journeys'))).journeys;
});

const example = (name: string, version: string): CompiledJourney => {
  const found = examples.find((j) => j.name === name && j.version === version);
  if (!found) throw new Error(`${name} ${version} did not compile`);
  return found;
};

describe('analysis of the example journeys', () => {
  it('finds nothing to report in any of them, nor across them', () => {
    const result = analyzeJourneys(examples);
    expect(result.journeys.map((j) => `${j.name} ${j.version}`)).toEqual([
      'mybank/lending/mortgage 1.0',
      'mybank/payment/sct 2.0',
      'pfm/wallet 1.0',
      'theglue/psd2/x2a 1.0',
      'theglue/psd2/x2a 2.0',
      'theglue/signing/basketsign 1.0',
      'theglue/signing/signature 1.0',
    ]);
    expect(result.findings).toEqual([]);
  });

  it('the wallet: open accepts deposits, withdrawals and closing; closed accepts nothing', () => {
    const analysis = analyzeJourney(example('pfm/wallet', '1.0'));
    expect(analysis.stateField).toBe('status');
    expect(analysis.states).toEqual(['(start)', 'open', 'closed']);
    expect(analysis.finalStates).toEqual(['closed']);
    expect(analysis.accepts).toEqual({ '(start)': ['OpenWallet'], open: ['Deposit', 'Withdraw', 'CloseWallet'], closed: [] });
    expect(analysis.transitions.map((t) => [t.from, t.event, t.to, t.when])).toEqual([
      ['(start)', 'OpenWallet', 'open', []],
      ['open', 'Deposit', 'open', []],
      ['open', 'Withdraw', 'open', ['data.balance >= event.amount']],
      ['open', 'Withdraw', 'open', ['not (data.balance >= event.amount)']],
      ['open', 'CloseWallet', 'closed', []],
    ]);
    expect(analysis.senders).toEqual({ CloseWallet: ['api'], Deposit: ['api'], OpenWallet: ['api'], Withdraw: ['api'] });
  });

  it('the SEPA transfer: who sends what, and where calls and timers happen', () => {
    const analysis = analyzeJourney(example('mybank/payment/sct', '2.0'));
    expect(analysis.accepts).toEqual({
      '(start)': ['InitiatePayment'],
      initiated: ['AuthorisePayment', 'CancelPayment', 'PaymentExpired'],
      booking: ['PaymentBooked', 'BookingFailed'],
      booked: [],
      failed: [],
      cancelled: [],
      expired: [],
    });
    expect(analysis.senders).toEqual({
      AuthorisePayment: ['api'],
      BookingFailed: ['backend'],
      CancelPayment: ['api'],
      InitiatePayment: ['api'],
      PaymentBooked: ['backend'],
      PaymentExpired: ['timer'],
    });
    expect(analysis.producers).toEqual({
      PaymentInitiated: [{ kind: 'emit', beadId: 'InitiatePayment#1' }],
      PaymentAuthorised: [{ kind: 'emit', beadId: 'AuthorisePayment#1' }],
      PaymentBooked: [{ kind: 'reply', operation: 'booking.book', beadId: 'AuthorisePayment#1' }],
      BookingFailed: [{ kind: 'failure', operation: 'booking.book', beadId: 'AuthorisePayment#1' }],
      PaymentExecuted: [{ kind: 'emit', beadId: 'PaymentBooked#1' }],
      PaymentRejected: [{ kind: 'emit', beadId: 'BookingFailed#1' }],
      PaymentCancelled: [{ kind: 'emit', beadId: 'CancelPayment#1' }],
      PaymentExpired: [{ kind: 'timer', timer: 'expiry', delayMs: 432_000_000, beadIds: ['InitiatePayment#1'] }],
    });
    const authorise = analysis.transitions.find((t) => t.event === 'AuthorisePayment');
    expect(authorise).toMatchObject({ from: 'initiated', to: 'booking', calls: ['booking.book'], cancelsTimers: ['expiry'], emits: ['PaymentAuthorised'] });
  });

  it('the mortgage: a branch that changes the state splits the transition', () => {
    const analysis = analyzeJourney(example('mybank/lending/mortgage', '1.0'));
    expect(analysis.transitions.filter((t) => t.event === 'DocumentsReminder').map((t) => [t.to, t.when, t.startsTimers])).toEqual([
      ['submitted', ['data.reminders <= 3'], ['documentReminder']],
      ['lapsed', ['not (data.reminders <= 3)'], []],
    ]);
    // Known values flow through the steps: the second upload `if` is split, the first one too.
    expect(analysis.transitions.filter((t) => t.event === 'UploadDocument').map((t) => t.to)).toEqual([
      'assessing',
      'submitted',
      'assessing',
      'submitted',
      'assessing',
      'submitted',
    ]);
    expect(analysis.beads.every((b) => b.reachable)).toBe(true);
  });

  it('formats a readable report', () => {
    expect(formatAnalysis(analyzeJourney(example('pfm/wallet', '1.0')))).toBe(
      [
        'pfm/wallet 1.0 (pfm/wallet/1.0/journey.jd)',
        '  states (status): (start), open, closed (final)',
        '  accepted events by state:',
        '    (start)  OpenWallet',
        '    open     Deposit, Withdraw, CloseWallet',
        '    closed   -',
        '  events and who may send them:',
        '    CloseWallet  api',
        '    Deposit      api',
        '    OpenWallet   api',
        '    Withdraw     api',
        '  who may read: sender == data.owner or "auditor" in roles (searches filtered in the query on owner)',
        '  no findings',
      ].join('\n'),
    );
  });
});

describe('findings', () => {
  it('a bead whose state nothing sets, and one an earlier bead always pre-empts', () => {
    const flawed = journey(
      `journey t/states version 1.0
%events%
on Open initiating
  set status = "open"
on Poke
  when data.status == "pending"
  set n = 1
on Ping
  when data.status == "open"
  set a = 1
on Ping
  when data.a == 1
  set a = 2`,
      ['Open', 'Poke', 'Ping'],
    );
    expect(codes(analyzeJourney(flawed).findings)).toEqual([
      ['unreachable-bead', 'Poke#1 can never apply: `data.status == "pending"` holds in no status a bead sets'],
      ['unreachable-bead', 'Ping#2 can never apply: an earlier bead for Ping always applies first (in status open)'],
    ]);
  });

  it('an event no sender may send, and what only it leads to', () => {
    const analysis = analyzeJourney(
      journey(
        `journey t/senders version 1.0
%events%
on Open initiating
  set status = "open"
on Close
  allow context.trustLevel > 3
  when data.status == "open"
  set status = "closed"
on Archive
  when data.status == "closed"
  set status = "archived"`,
        ['Open', 'Close', 'Archive'],
      ),
    );
    expect(codes(analysis.findings)).toEqual([
      ['unsendable-event', 'no sender may send Close: no context satisfies the access rules of its beads (context.trustLevel > 3)'],
      ['unreachable-state', 'status "closed" is set by Close#1 but no path from the start reaches it'],
      ['unreachable-bead', 'Archive#1 can never apply: it applies only in status closed, which nothing reaches'],
      ['unreachable-state', 'status "archived" is set by Archive#1 but no path from the start reaches it'],
    ]);
    expect(analysis.findings[0]).toMatchObject({ severity: 'warning', source: 'test.jd', location: { line: 8, column: 1 }, event: 'Close' });
    expect(analysis.senders.Close).toEqual([]);
    expect(analysis.reachableStates).toEqual(['(start)', 'open']);
  });

  it('contradictory roles, impossible origins and a sender nobody can be are unsendable too', () => {
    const analysis = analyzeJourney(
      journey(
        `journey t/roles version 1.0
%events%
on Open initiating
  set x = 1
on A
  allow "teller" in context.roles and not ("teller" in context.roles)
on B
  allow context.origin in ["carrier pigeon"]
on C
  allow role "teller"
  allow sender == "alice" and context.geo in ["NL"] and context.trustLevel >= 3`,
        ['Open', 'A', 'B', 'C'],
      ),
    );
    expect(analysis.findings.map((f) => [f.code, f.event])).toEqual([
      ['unsendable-event', 'A'],
      ['unsendable-event', 'B'],
    ]);
    expect(analysis.senders.C).toEqual(['api']);
  });

  it('a timer event the bead refuses, an origin nothing produces, unhandled replies, unused events', () => {
    const analysis = analyzeJourney(
      journey(
        `journey t/origins version 1.0
%events%
timer remind after 1 day emit Remind
on Open initiating
  allow role "customer"
  set status = "open"
  start timer remind
  call crm.register { } reply Registered failure RegistrationFailed
  emit Opened
on Remind
  allow role "customer"
  set reminded = true
on Tick
  allow context.origin == "timer"
  set ticked = true
on Registered
  allow context.origin == "backend"
  set registered = true`,
        ['Open', 'Remind', 'Tick', 'Registered', 'RegistrationFailed', 'Opened', 'Spare'],
      ),
    );
    expect(codes(analysis.findings)).toEqual([
      ['unhandled-event', 'crm.register fails with RegistrationFailed, but no bead handles it'],
      ['unhandled-event', 'Open#1 emits Opened, but no bead handles it and it is not published'],
      ['origin-refused', 'timer remind fires Remind, but no bead for Remind accepts events from a timer (origin timer)'],
      ['unproduced-event', 'Tick is accepted only from a timer, but nothing here produces it that way'],
      ['unused-event', 'Spare is declared but nothing handles, emits, fires, returns or publishes it'],
    ]);
    expect(analysis.findings.find((f) => f.code === 'unused-event')?.severity).toBe('info');
    expect(analysis.senders).toEqual({ Open: ['api'], Remind: ['api'], Tick: [], Registered: ['backend'] });
  });

  it('search fields of one name must agree across journeys (they share a store column)', () => {
    const wallet = example('pfm/wallet', '1.0');
    const other = journey(
      `journey t/people version 1.0
%events%
search owner: number = data.owner.id
on Open initiating
  set owner = { id: 1 }`,
      ['Open'],
    );
    expect(codes(analyzeJourneys([wallet, other]).findings)).toEqual([
      [
        'search-field-conflict',
        'search field owner is number at $.owner.id here, but string at $.owner in pfm/wallet 1.0; one store cannot deploy both (rename one)',
      ],
    ]);
  });
});

describe('without a state field', () => {
  it('describes each bead by its rules; a computed status becomes (computed)', () => {
    const plain = analyzeJourney(
      journey(
        `journey t/plain version 1.0
%events%
on Open initiating
  set n = 0
on Bump
  when data.n < 10
  set n = data.n + 1`,
        ['Open', 'Bump'],
      ),
    );
    expect(plain.stateField).toBeNull();
    expect(plain.accepts).toEqual({ '(start)': ['Open'], '(started)': ['Bump'] });
    expect(formatAnalysis(plain)).toContain('    Bump#1                   when data.n < 10');
    const computed = analyzeJourney(
      journey(
        `journey t/computed version 1.0
%events%
on Open initiating
  set status = event.status`,
        ['Open'],
      ),
    );
    expect(computed.states).toEqual(['(start)', '(computed)']);
    expect(computed.findings).toEqual([]);
  });
});

describe('exprText', () => {
  it('prints only the parentheses the grammar needs', () => {
    const j = journey(
      `journey t/text version 1.0
%events%
on Open initiating
  when (event.a and event.b) and (event.c or event.d)
  when event.a or (event.b and event.c)
  when not (event.x == 1)
  when (event.x + 1) * 2 - (3 - event.y) > 0
  when -event.x ?? 0 < event.y ?? 1
  when event.tags not in [[1, "a"], { k: true }] and -(-event.x) != 2 % 3 / 4
  set n = 0`,
      ['Open'],
    );
    const texts = j.beads[0]?.preconditions.map((p) => exprText(p.condition)) ?? [];
    expect(texts).toEqual([
      'event.a and event.b and (event.c or event.d)',
      'event.a or event.b and event.c',
      'not event.x == 1',
      '(event.x + 1) * 2 - (3 - event.y) > 0',
      // `??` binds tighter than `-`: the source means -(event.x ?? 0), which is printed plainly.
      '-(event.x ?? 0) < event.y ?? 1',
      'not event.tags in [[1, "a"], { k: true }] and -(-event.x) != 2 % 3 / 4',
    ]);
    // Printed text parses back to the same expression.
    const again = journey(`journey t/text version 1.0\n%events%\non Open initiating\n${texts.map((t) => `  when ${t}`).join('\n')}\n  set n = 0`, ['Open']);
    expect(again.beads[0]?.preconditions.map((p) => p.condition)).toEqual(j.beads[0]?.preconditions.map((p) => p.condition));
  });
});
