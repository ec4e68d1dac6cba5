/**
 * Scenarios (`journey test`): reading a file (YAML or JSON) with every problem located, and running
 * one journey through the evaluator as the engine would — the API's refusals, feedback events,
 * timers firing as the clock advances, calls answered — with failed expectations reported at the
 * line and column that states them.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compileJourney,
  formatDiagnostics,
  formatScenarioFailure,
  loadJourneyDirectory,
  packVersion,
  parseScenarios,
  runScenarioFile,
} from '../../dsl/index.js';
import type { CompiledJourney, Json, ScenarioFailure } from '../../dsl/index.js';
import { useCliHarness } from '../support/cli-harness.js';

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';

const object = (properties: Record<string, Json>, required: string[] = Object.keys(properties)): string =>
  JSON.stringify({ $schema: SCHEMA, type: 'object', properties, required, additionalProperties: false });

/**
 * A journey that exercises what the runner does around the evaluator: an emitted event it handles
 * itself, a timer that restarts itself, one cancelled by `unless`, a back-end call, and an event
 * that feeds itself forever.
 */
const RELAY = `journey test/relay version 1.0
data schema "data.json"
events from "events/"
timer reminder after 1 day emit Remind { n: data.count } unless Stop
timer deadline after 3 days emit Lapse

on Begin initiating
  set count = 0, status = "open"
  start timer reminder
  start timer deadline
  emit Bumped { by: 1 }

on Bumped
  allow context.origin == "emitted"
  set count = data.count + event.by

on Remind
  allow context.origin == "timer"
  set count = data.count + 10
  start timer reminder

on Lapse
  allow context.origin == "timer"
  set status = "lapsed"

on Stop
  allow role "manager"
  set status = "stopped"

on Ask
  call sys.op { n: data.count } reply Answered failure Failed

on Answered
  allow context.origin == "backend"
  set count = event.value

on Failed
  allow context.origin == "backend"
  set status = "failed"

on Loop
  emit Loop
`;

const int = { type: 'integer' };
const RELAY_FILES = new Map<string, string>([
  ['data.json', object({ count: int, status: { type: 'string' } })],
  ['events/begin.schema.json', object({})],
  ['events/bumped.schema.json', object({ by: int })],
  ['events/remind.schema.json', object({ n: int })],
  ['events/lapse.schema.json', object({})],
  ['events/stop.schema.json', object({})],
  ['events/ask.schema.json', object({})],
  ['events/answered.schema.json', object({ value: int })],
  ['events/failed.schema.json', object({ reason: { type: 'string' }, attempts: int })],
  ['events/loop.schema.json', object({})],
]);

let relay: CompiledJourney;

beforeAll(() => {
  const compiled = compileJourney({ file: 'relay.jd', source: RELAY, files: RELAY_FILES });
  if (!compiled.journey) throw new Error(formatDiagnostics(compiled.diagnostics));
  relay = compiled.journey;
});

function run(text: string, file = 'relay.yaml'): { passed: boolean[]; failures: ScenarioFailure[] } {
  const result = runScenarioFile(relay, {}, file, text);
  return { passed: result.results.map((r) => r.passed), failures: [...result.failures, ...result.results.flatMap((r) => r.failures)] };
}

/** Runs a scenario file that must pass; a failure fails the test with the runner's own report. */
function passes(text: string, file?: string): void {
  const { passed, failures } = run(text, file);
  expect(failures.map(formatScenarioFailure).join('\n\n')).toBe('');
  expect(passed.every(Boolean)).toBe(true);
}

describe('running a scenario', () => {
  it('feeds back an emitted event the journey handles, with origin emitted, in the same step', () => {
    passes(`
scenarios:
  - name: begin
    steps:
      - send: Begin
        expect:
          handled: [{ type: Begin, origin: api, outcome: applied }, { type: Bumped, origin: emitted, outcome: applied }]
          emitted: [{ type: Bumped, payload: { by: 1 } }]
          data: { count: 1, status: open }
          timers: { started: [reminder, { name: deadline, after: 3 days }], scheduled: [reminder, deadline] }
`);
  });

  it('fires due timers in time order as the clock advances, each at its own time, restarts included', () => {
    passes(`
start: 2026-05-01T00:00:00Z
scenarios:
  - name: timers
    steps:
      - send: Begin
      - advance: 23h
        expect: { handled: [], timers: { fired: [] } }
      - advance: 2 days
        expect:
          handled: [{ type: Remind, origin: timer }, { type: Remind, origin: timer }]
          timers:
            fired: [{ name: reminder, fireAt: 2026-05-02T00:00:00Z, payload: { n: 0 } }, { name: reminder, fireAt: 2026-05-03T00:00:00Z, payload: { n: 11 } }]
            # By time; at the same time, the one started first.
            scheduled: [{ name: deadline, fireAt: 2026-05-04T00:00:00Z }, { name: reminder, fireAt: 2026-05-04T00:00:00Z }]
          data: { count: 21, status: open }
      # Due at the same time: the one started first fires first.
      - advance: 1 day
        expect:
          timers: { fired: [deadline, reminder] }
          data: { count: 31, status: lapsed }
`);
  });

  it('cancels a timer on an applied event it lists in unless, and not on a refused one', () => {
    passes(`
scenarios:
  - name: stop
    steps:
      - send: Begin
      - send: Stop
        context: { sender: bob, roles: [] }
        expect: { outcome: refused, code: JE_ACCESS_DENIED, status: 403 }
      - send: Stop
        context: { sender: carol, roles: [manager] }
        expect: { data: { status: stopped }, timers: { cancelled: [reminder], scheduled: [deadline] } }
      - advance: 10 days
        expect: { timers: { fired: [deadline] }, handled: [{ type: Lapse, outcome: applied }] }
`);
  });

  it('keeps a call open until the scenario answers it; a reply that does not fit its schema leaves it open', () => {
    passes(`
scenarios:
  - name: calls
    steps:
      - send: Begin
      - send: Ask
        expect: { calls: [{ call: sys.op, request: { n: 1 } }] }
      - send: Ask
      - reply: sys.op
        payload: { value: "seven" }
        expect: { outcome: refused, code: JE_EVENT_INVALID, reason: /value must be integer }
      - reply: sys.op
        payload: { value: 7 }
        expect: { handled: [{ type: Answered, origin: backend }], data: { count: 7 } }
      - fail: sys.op
        reason: timed out
        attempts: 3
        expect: { handled: [Failed], data: { status: failed } }
`);
  });

  it('reports a reply to a call nobody made, and a journey that feeds itself forever, as failed steps', () => {
    const { failures } = run(`
scenarios:
  - name: no call
    steps:
      - send: Begin
      - reply: sys.op
        payload: { value: 1 }
  - name: loop
    steps:
      - send: Begin
      - send: Loop
`);
    expect(failures.map((f) => [f.code, f.scenario, f.step, f.line])).toEqual([
      ['step-failed', 'no call', 2, 6],
      ['step-failed', 'loop', 2, 11],
    ]);
    expect(failures[0]?.message).toBe('no open call of sys.op to answer (no call is open)');
    expect(failures[1]?.message).toMatch(/^the step handled 1000 events and more were coming \(Loop\): does the journey feed itself forever\?$/);
  });

  it('starts from given data without an initiating event, and checks that data against the data schema', () => {
    passes(`
scenarios:
  - name: from data
    data: { count: 5, status: open }
    steps:
      - send: Ask
        expect: { calls: [sys.op], data: { count: 5 } }
`);
    const { failures } = run(`
scenarios:
  - name: bad data
    data: { count: five, status: open }
    steps: [{ send: Ask }]
`);
    expect(failures.map((f) => [f.code, f.line, f.column, f.message])).toEqual([
      ['step-failed', 4, 5, "the scenario's data does not fit the data schema: /count must be integer"],
    ]);
  });
});

describe('events between journeys', () => {
  it('answers as the n-th journey started, and says so when there is no such journey', async () => {
    const basket = (await loadJourneyDirectory(resolve(import.meta.dirname, '../../journeys/theglue/signing/basketsign/1.0'))).journey;
    if (!basket) throw new Error('theglue/signing/basketsign 1.0 does not compile');
    const result = runScenarioFile(
      basket,
      {},
      'basket.yaml',
      `context: { sender: ann, roles: [customer] }
scenarios:
  - name: one item
    steps:
      - send: SubmitBasket
        payload: { items: [{ id: p1, signer: sam, amount: 1, currency: EUR, creditor: Acme }] }
        expect: { startedJourneys: [theglue/signing/signature] }
      - receive: ItemSigned
        from: { started: 2 }
        payload: { item: p1 }
`,
    );
    expect(result.results[0]?.failures.map((f) => [f.code, f.step, f.line, f.message])).toEqual([
      ['step-failed', 2, 8, 'the journey has started 1 journey, not 2'],
    ]);
  });
});

describe('a failed expectation', () => {
  const text = `scenarios:
  - name: counting
    steps:
      - send: Begin
        expect:
          data: { count: 2 }
      - send: Ask
`;

  it('is reported at the line and column of what it expected, with the scenario and the step, and stops the scenario', () => {
    const result = runScenarioFile(relay, {}, 'scenarios/relay.yaml', text);
    expect(result.results.map((r) => [r.scenario, r.passed, r.steps])).toEqual([['counting', false, 1]]);
    const [failure] = result.results[0]?.failures ?? [];
    expect(failure).toMatchObject({ code: 'expectation-failed', file: 'scenarios/relay.yaml', line: 6, column: 19, scenario: 'counting', step: 1 });
    expect(formatScenarioFailure(failure as ScenarioFailure)).toBe(
      [
        'scenarios/relay.yaml:6:19: error[expectation-failed]: counting › step 1 (send Begin as dev-user): data.count is 1, expected 2',
        ' 6 |           data: { count: 2 }',
        '   |                   ^^^^^',
      ].join('\n'),
    );
  });

  it('says what happened when the outcome is not the one expected (a step expects applied unless it says otherwise)', () => {
    const { failures } = run(`scenarios:
  - name: stop
    steps:
      - send: Begin
      - send: Stop
`);
    expect(failures.map((f) => [f.line, f.column, f.message])).toEqual([
      [5, 9, 'expected applied, got refused 403 JE_ACCESS_DENIED: dev-user may not send Stop here (requires role "manager")'],
    ]);
  });

  it('names the events emitted, timers and calls when their lists differ', () => {
    const { failures } = run(`scenarios:
  - name: lists
    steps:
      - send: Begin
        expect:
          emitted: [Bumped, Bumped]
          timers: { started: [reminder] }
          calls: [sys.op]
`);
    expect(failures.map((f) => f.message)).toEqual([
      'emitted Bumped; expected Bumped, Bumped',
      'timers started: reminder (Remind at 2026-01-02T00:00:00.000Z), deadline (Lapse at 2026-01-04T00:00:00.000Z); expected reminder',
      'calls made: none; expected sys.op',
    ]);
  });
});

describe('reading a scenario file', () => {
  const problems = (text: string, file = 'bad.yaml'): Array<[number, number, string]> =>
    parseScenarios(file, text).failures.map((f) => [f.line, f.column, f.message]);

  it('locates a YAML syntax error, a JSON syntax error, and a duplicate key', () => {
    expect(problems('scenarios:\n  - name: x\n    steps: [\n')[0]?.[0]).toBeGreaterThan(0);
    expect(problems('{\n  "scenarios": [,]\n}', 'bad.json')).toEqual([[2, 17, expect.stringMatching(/^not valid JSON: /) as string]]);
    expect(problems('{\n  "scenarios": []\n  "x": 1\n}', 'bad.json')).toEqual([[3, 3, expect.stringMatching(/^not valid JSON: /) as string]]);
    expect(problems('scenarios: []\nscenarios: []\n')).toEqual([[2, 1, 'Map keys must be unique']]);
  });

  it('checks the format: unknown fields, a step with no action or two, codes and durations that are not', () => {
    expect(
      problems(`scenarios:
  - name: x
    steps:
      - sned: Begin
      - send: Begin
        advance: 1 day
      - advance: 3 fortnights
      - send: Begin
        expect: { code: NOT_A_CODE }
      - send: Begin
        expect: { code: JE_NOT_A_CODE }
      - advance: 1 day
        expect: { outcome: applied }
`),
    ).toEqual([[4, 9, 'scenarios.0.steps.0 has unknown property "sned"']]);
    expect(problems('scenarios:\n  - name: x\n    steps: [{ send: A, expect: { outcome: maybe, dat: {} } }]\n')).toEqual([
      [3, 50, 'scenarios.0.steps.0.expect has unknown property "dat"'],
      [3, 34, 'scenarios.0.steps.0.expect.outcome must be one of applied, rejected, refused'],
    ]);
    expect(
      problems(`scenarios:
  - name: x
    steps:
      - context: { sender: alice }
      - send: Begin
        advance: 1 day
      - advance: 3 fortnights
      - send: Begin
        expect: { code: NOT_A_CODE }
      - send: Begin
        expect: { code: JE_NOT_A_CODE }
      - advance: 1 day
        expect: { outcome: applied }
`),
    ).toEqual([
      [4, 9, 'step 1 does nothing: give one of send, reply, fail, receive or advance'],
      [5, 9, 'step 2 has send and advance: give one action per step'],
      [7, 9, 'scenarios.0.steps.2.advance: unknown unit "fortnights" (use ms, s, m, h, d, w or their names: seconds, minutes, hours, days, weeks)'],
      [9, 19, 'NOT_A_CODE is not a rejection code (NO_MATCHING_BEAD, PRECONDITION_FAILED, ACCESS_DENIED, ACTION_FAILED, INVALID_TIMER)'],
      [11, 19, 'JE_NOT_A_CODE is not an error code of the engine (docs/errors.md)'],
      [13, 19, "an advance has no outcome of its own: expect handled (the timers' events) or timers.fired instead of outcome"],
    ]);
  });

  it('reads JSON scenario files like YAML ones', () => {
    passes(JSON.stringify({ scenarios: [{ name: 'json', steps: [{ send: 'Begin', expect: { data: { count: 1 } } }] }] }, null, 2), 'relay.json');
  });
});

describe('scenarios beside a version', () => {
  const cli = useCliHarness('journey-scenarios');
  const wallet = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');

  it('change neither its IR nor its bundle (they are left out of both)', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(wallet, copy, { recursive: true, filter: (path) => !path.includes('/scenarios') });
    const before = { ir: JSON.stringify((await loadJourneyDirectory(copy)).journey), hash: (await packVersion(copy)).contentHash };
    mkdirSync(join(copy, 'scenarios'));
    writeFileSync(join(copy, 'scenarios/more.yaml'), 'scenarios: []\n');
    writeFileSync(join(copy, 'scenarios/more.json'), '{}\n');
    const after = await packVersion(copy);
    expect(JSON.stringify((await loadJourneyDirectory(copy)).journey)).toBe(before.ir);
    expect(after.contentHash).toBe(before.hash);
    expect(Object.keys(after.files).filter((file) => file.startsWith('scenarios'))).toEqual([]);
  });
});
