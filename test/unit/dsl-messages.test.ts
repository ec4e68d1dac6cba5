/**
 * Events between journeys in the language: `send`, `reply`, `start` and `for` loops — parsed in
 * exactly one way, compiled to IR (with the mistakes the compiler reports), evaluated (ids of
 * started journeys derived from the event, writes through a loop's item), and read by the static
 * analysis and the graphs (the links between journey types). The basket example is the guide.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphCommand } from '../../cli/commands/graph.js';
import { ID_PATTERN } from '../../common/index.js';
import {
  analyzeJourney,
  analyzeJourneys,
  compileJourney,
  compileJourneys,
  evaluate,
  formatAnalysis,
  formatDiagnostics,
  journeyContext,
  journeyGraph,
  linksToMermaid,
  parseJourney,
  SYSTEM_CONTEXTS,
  toMermaid,
} from '../../dsl/index.js';
import type { CompiledJourney, EventContext, Evaluation, Json, JsonObject } from '../../dsl/index.js';
import { useCliHarness } from '../support/cli-harness.js';

const root = resolve(import.meta.dirname, '../..');
const SCHEMA = 'https://json-schema.org/draft/2020-12/schema';
const NOW = Date.UTC(2026, 4, 4, 9, 0);
const alice: EventContext = { sender: 'alice', roles: ['customer'], trustLevel: 2, channel: 'web' };
const BASKET_ID = '01JBASKET00000000000000000';
const fromBasket = journeyContext(BASKET_ID, 'theglue/signing/basketsign');

const object = (properties: Record<string, Json>, required: string[] = []): Json => ({
  $schema: SCHEMA,
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

/** A small journey of its own: a list of items in data, a Ping it sends, a Started it starts another with. */
const FILES: Record<string, Json> = {
  'data.json': object({
    status: { type: 'string' },
    target: { type: 'string' },
    child: { type: 'string' },
    count: { type: 'integer' },
    items: { type: 'array', items: { $ref: '#/$defs/item' } },
    $defs: {},
  }),
  'events/go.schema.json': object({ to: { type: 'string' }, names: { type: 'array', items: object({ name: { type: 'string' } }, ['name']) } }),
  'events/ping.schema.json': object({ n: { type: 'integer' } }, ['n']),
  'events/pong.schema.json': object({}),
  'events/started.schema.json': object({ name: { type: 'string' } }, ['name']),
  'events/not-delivered.schema.json': object({ reason: { type: 'string' }, journeyId: { type: 'string' } }, ['reason', 'journeyId']),
};
// `items` of the data: objects with a name, a status and the id of the journey started for each.
(FILES['data.json'] as { $defs: Record<string, Json> }).$defs = {
  item: object({ name: { type: 'string' }, status: { type: 'string' }, journey: { type: 'string' } }, ['name']),
};
delete (FILES['data.json'] as { properties: Record<string, Json> }).properties.$defs;

const HEADER = 'journey t/messenger version 1.0\ndata schema "data.json"\nevents from "events/"\n';

function compileSource(body: string): { journey: CompiledJourney | null; report: string } {
  const files = new Map(Object.entries(FILES).map(([name, schema]) => [name, JSON.stringify(schema)]));
  const output = compileJourney({ file: 't.jd', source: HEADER + body, files });
  return { journey: output.journey, report: formatDiagnostics(output.diagnostics) };
}

function compile(body: string): CompiledJourney {
  const { journey, report } = compileSource(body);
  if (!journey) throw new Error(report);
  return journey;
}

const SENDER = `
on Go initiating
  set status = "going", items = event.names, target = event.to
  for item in data.items
    set item.status = "asked"
    start t/child 1.0 with Started { name: item.name } as item.journey failure NotDelivered
  end
  send Ping to data.target { n: length(data.items) } failure NotDelivered

on Pong
  allow context.origin == "journey"
  reply Ping { n: 1 }

on NotDelivered
  allow context.origin == "journey" and sender == "system:journey"
  set status = "failed"
`;

function run(
  journey: CompiledJourney,
  type: string,
  payload: JsonObject,
  options: { data?: JsonObject | null; context?: EventContext; eventId?: string } = {},
): Evaluation {
  return evaluate(journey, {
    data: options.data ?? null,
    event: { type, payload },
    context: options.context ?? alice,
    nowMs: NOW,
    eventId: options.eventId ?? '01JEVENT000000000000000000',
  });
}

describe('grammar', () => {
  it('parses the basket, the signature and every new step in exactly one way', () => {
    for (const file of ['journeys/theglue/signing/basketsign/1.0/journey.jd', 'journeys/theglue/signing/signature/1.0/journey.jd']) {
      const result = parseJourney(readFileSync(resolve(root, file), 'utf8'), file);
      // parseJourney reports `ambiguous-parse` when nearley finds more than one parse.
      expect(formatDiagnostics(result.diagnostics)).toBe('');
      expect(result.ast).not.toBeNull();
    }
    const result = parseJourney(HEADER + SENDER, 't.jd');
    expect(formatDiagnostics(result.diagnostics)).toBe('');
    const bead = result.ast?.items.find((i) => i.kind === 'bead');
    expect(bead?.kind === 'bead' ? bead.lines.map((l) => l.kind) : []).toEqual(['set', 'for', 'send']);
  });

  it('reserves send, to, with, as and for; they stay field names', () => {
    expect(parseJourney(HEADER + 'on for initiating\n', 't.jd').diagnostics[0]?.message).toBe('unexpected `for`; expected a name');
    expect(formatDiagnostics(parseJourney(HEADER + 'on X initiating\n  set to = data.with, as = { for: 1, send: 2 }\n', 't.jd').diagnostics)).toBe('');
  });

  it('says what is missing in a send, a start and a loop', () => {
    const first = (body: string): string | undefined => parseJourney(HEADER + body, 't.jd').diagnostics[0]?.message;
    expect(first('on X initiating\n  send Ping data.x\n')).toBe('unexpected `data`; expected `to`');
    expect(first('on X initiating\n  start t/child with { }\n')).toBe('unexpected `with`; expected one of: `/`, a number');
    expect(first('on X initiating\n  for item in data.items set status = "x"\n')).toBe('this `for` has no `end`: add `end` after its last step');
  });
});

describe('compiling', () => {
  it('lowers send, reply, start and for to IR', () => {
    const journey = compile(SENDER);
    const go = journey.beads[0];
    expect(go?.steps[3]).toEqual({
      kind: 'forEach',
      local: 'item',
      list: { kind: 'path', root: 'data', segments: ['items'] },
      steps: [
        { kind: 'assign', path: ['status'], value: { kind: 'literal', value: 'asked' }, local: 'item' },
        {
          kind: 'start',
          journeyType: 't/child',
          version: '1.0',
          event: 'Started',
          payload: { kind: 'object', entries: [{ key: 'name', value: { kind: 'local', name: 'item', segments: ['name'] } }] },
          as: { path: ['journey'], local: 'item' },
          failureEvent: 'NotDelivered',
        },
      ],
    });
    expect(go?.steps[4]).toMatchObject({ kind: 'send', event: 'Ping', to: { kind: 'path', root: 'data', segments: ['target'] }, failureEvent: 'NotDelivered' });
    // A reply is a send to the journey that sent the event being handled.
    expect(journey.beads[1]?.steps[0]).toMatchObject({ kind: 'send', event: 'Ping', to: { kind: 'path', root: 'context', segments: ['journey'] } });
    expect(journey.events.Ping).toMatchObject({ handled: false, emitted: false, sent: true });
    expect(journey.events.Started?.sent).toBe(true);
    // Events nobody sends carry no `sent` at all: their IR stays what it was.
    expect('sent' in (journey.events.Pong ?? {})).toBe(false);
  });

  it('a start without an event leaves it to the started version (its payload is checked when it arrives)', () => {
    const journey = compile('on Go initiating\n  start t/child 2.3 with { anything: event.to } as data.child\n');
    expect(journey.beads[0]?.steps[0]).toEqual({
      kind: 'start',
      journeyType: 't/child',
      version: '2.3',
      payload: { kind: 'object', entries: [{ key: 'anything', value: { kind: 'path', root: 'event', segments: ['to'] } }] },
      as: { path: ['child'] },
    });
  });

  it('reports what cannot work', () => {
    const report = (body: string): string => compileSource(`on Go initiating\n  set status = "x"\n${body}`).report;
    expect(report('  send Pingg to data.target { n: 1 }\n')).toContain('error[unknown-event]: sends Pingg, which has no schema; did you mean Ping?');
    expect(report('  send Ping to data.count { n: 1 }\n')).toContain(
      'error[type-error]: `send … to` needs the id of a journey (a string); data.count is a number',
    );
    expect(report('  send Ping to data.target { n: "one" }\n')).toContain('error[payload-mismatch]: Ping.n is a number, but this is a string');
    expect(report('  send Ping to data.target { }\n')).toContain('error[payload-mismatch]: Ping needs field n');
    expect(report('  start t/child 1.0 with { } as event.to\n')).toContain('error[invalid-target]: `as` takes a data field');
    expect(report('  start t/child 1.0 with { } as data.count\n')).toContain('error[type-error]: cannot set count (a number) to a string');
    expect(report('  for n in data.count\n  end\n')).toContain('error[type-error]: `for … in` needs a list; data.count is a number');
    expect(report('  for item in event.names\n    set item.name = "x"\n  end\n')).toContain(
      "error[invalid-loop]: item is an item of event.names, which is not in the journey's data",
    );
    expect(report('  for item in data.items\n    set item = 1\n  end\n')).toContain("error[invalid-loop]: item is a loop's item: set one of its fields");
    expect(report('  for count in data.items\n  end\n')).toContain("error[invalid-loop]: a loop's item named count would hide data.count");
    expect(report('  for item in data.items\n    for item in data.items\n    end\n  end\n')).toContain(
      'error[invalid-loop]: item is already the item of an enclosing loop',
    );
    expect(report('  for item in data.items\n    set status = item.statu\n  end\n')).toContain(
      'error[unknown-path]: item.statu is not a field of an item of data.items; did you mean status?',
    );
    expect(report('  set status = item.name\n')).toContain("error[unknown-path]: item is not a loop's item");
    expect(report('  reply Pong\n  send Ping to data.target { n: 1 } failure Nope\n')).toContain(
      'error[unknown-event]: when Ping cannot be delivered, the journey gets Nope',
    );
  });

  it('types a loop item from the list: reads of an event list, writes to a data list', () => {
    const journey = compile('on Go initiating\n  for n in event.names\n    set status = n.name\n  end\n  set items = event.names\n');
    expect(journey.beads[0]?.steps[0]).toMatchObject({ kind: 'forEach', local: 'n' });
  });
});

describe('evaluating', () => {
  it('starts one journey per item: ids derived from the event, written through the item; sends after them', () => {
    const journey = compile(SENDER);
    const payload = { to: '01JTARGET00000000000000000', names: [{ name: 'a' }, { name: 'b' }] };
    const result = run(journey, 'Go', payload);
    if (result.outcome !== 'applied') throw new Error(result.message);
    const items = result.data.items as Array<{ name: string; status: string; journey: string }>;
    expect(items.map((i) => i.status)).toEqual(['asked', 'asked']);
    const ids = items.map((i) => i.journey);
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
    expect(new Set(ids).size).toBe(2);
    expect(result.effects).toEqual([
      {
        kind: 'start',
        journeyId: ids[0],
        journeyType: 't/child',
        version: '1.0',
        event: { type: 'Started', payload: { name: 'a' } },
        failureEvent: 'NotDelivered',
      },
      {
        kind: 'start',
        journeyId: ids[1],
        journeyType: 't/child',
        version: '1.0',
        event: { type: 'Started', payload: { name: 'b' } },
        failureEvent: 'NotDelivered',
      },
      { kind: 'send', journeyId: '01JTARGET00000000000000000', event: { type: 'Ping', payload: { n: 2 } }, failureEvent: 'NotDelivered' },
    ]);
    // Pure: the same event gives the same ids; another event other ids; the input is untouched.
    expect(run(journey, 'Go', payload)).toEqual(result);
    const other = run(journey, 'Go', payload, { eventId: '01JEVENT000000000000000001' });
    expect(other.outcome === 'applied' && (other.data.items as Array<{ journey: string }>)[0]?.journey).not.toBe(ids[0]);
    expect(payload.names).toEqual([{ name: 'a' }, { name: 'b' }]);
    // The id's time is the evaluation's.
    expect(ids[0]?.slice(0, 10)).toBe(run(journey, 'Go', payload, { eventId: 'x' }).outcome === 'applied' ? ids[0]?.slice(0, 10) : '');
  });

  it('a loop over an event list works on a copy; over nothing it does nothing', () => {
    const journey = compile('on Go initiating\n  set count = 0\n  for n in event.names\n    set count = data.count + 1, status = n.name\n  end\n');
    const names = [{ name: 'x' }, { name: 'y' }];
    const result = run(journey, 'Go', { names });
    expect(result).toMatchObject({ outcome: 'applied', data: { count: 2, status: 'y' } });
    expect(run(journey, 'Go', {})).toMatchObject({ outcome: 'applied', data: { count: 0 } });
  });

  it('a reply goes to the journey that sent the event; to none other', () => {
    const journey = compile(SENDER);
    const data = { status: 'going', items: [] };
    const replied = run(journey, 'Pong', {}, { data, context: fromBasket });
    expect(replied).toMatchObject({ outcome: 'applied', effects: [{ kind: 'send', journeyId: BASKET_ID, event: { type: 'Ping', payload: { n: 1 } } }] });
    // An event with origin journey but no sender journey (an undelivered message's failure) cannot be replied to.
    expect(run(journey, 'Pong', {}, { data, context: SYSTEM_CONTEXTS.journey })).toMatchObject({
      outcome: 'rejected',
      code: 'ACTION_FAILED',
      message: 'Pong failed: cannot reply Ping: the event being handled was not sent by a journey',
    });
  });

  it('a send to no id, or with a payload its schema refuses, fails the action', () => {
    const journey = compile(SENDER);
    expect(run(journey, 'Go', { names: [] })).toMatchObject({
      outcome: 'rejected',
      code: 'ACTION_FAILED',
      message: 'Go failed: cannot send Ping: data.target is null, not the id of a journey',
    });
    const negative = compile('on Go initiating\n  set target = event.to\n  send Ping to data.target { n: 0 - 1.5 }\n');
    const refused = run(negative, 'Go', { to: 'x' });
    expect(refused.outcome === 'rejected' && refused.message).toContain('sent Ping does not fit its schema: /n must be integer');
  });

  it('the signature: started by a journey, it answers that journey; only that journey withdraws it', async () => {
    const { journeys } = await compileJourneys(resolve(root, 'journeys/theglue/signing'));
    const signature = journeys.find((j) => j.name === 'theglue/signing/signature');
    if (!signature) throw new Error('no signature');
    const request = { signer: 'bob', item: 'i1', amount: 100, currency: 'EUR', creditor: 'Acme' };
    // Not from the API: only a journey asks for a signature.
    expect(run(signature, 'RequestSignature', request)).toMatchObject({ outcome: 'rejected', code: 'ACCESS_DENIED' });
    const started = run(signature, 'RequestSignature', request, { context: fromBasket });
    if (started.outcome !== 'applied') throw new Error(started.message);
    expect(started.data).toMatchObject({ requester: BASKET_ID, status: 'pending' });
    const bob: EventContext = { sender: 'bob', roles: ['customer'], trustLevel: 2, channel: 'app' };
    const signed = run(signature, 'Sign', {}, { data: started.data, context: bob });
    expect(signed).toMatchObject({
      outcome: 'applied',
      effects: [{ kind: 'send', journeyId: BASKET_ID, event: { type: 'ItemSigned', payload: { item: 'i1' } } }],
    });
    if (signed.outcome !== 'applied') return;
    const otherBasket = journeyContext('01JOTHER000000000000000000', 'theglue/signing/basketsign');
    expect(run(signature, 'WithdrawSignature', { reason: 'x' }, { data: signed.data, context: otherBasket })).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(run(signature, 'WithdrawSignature', { reason: 'x' }, { data: signed.data, context: fromBasket })).toMatchObject({
      outcome: 'applied',
      data: { status: 'revoked' },
      effects: [{ kind: 'send', journeyId: BASKET_ID, event: { type: 'SignatureWithdrawn', payload: { item: 'i1', status: 'revoked' } } }],
    });
  });
});

describe('analysis and graphs', () => {
  let signing: CompiledJourney[];
  beforeAll(async () => {
    signing = (await compileJourneys(resolve(root, 'journeys/theglue/signing'))).journeys;
  });
  const named = (name: string): CompiledJourney => {
    const found = signing.find((j) => j.name === name);
    if (!found) throw new Error(name);
    return found;
  };

  it('links the basket and the signature: who starts whom, who sends what to whom', () => {
    const analysis = analyzeJourneys(signing);
    expect(analysis.findings).toEqual([]);
    expect(analysis.links.map((l) => `${l.from} ${l.beadId} ${l.kind} ${l.event ?? ''} -> ${l.to.join(', ')}`)).toEqual([
      'theglue/signing/basketsign 1.0 SubmitBasket#1 start RequestSignature -> theglue/signing/signature 1.0',
      'theglue/signing/basketsign 1.0 ItemRefused#1 send WithdrawSignature -> theglue/signing/signature 1.0',
      'theglue/signing/basketsign 1.0 SignatureFailed#1 send WithdrawSignature -> theglue/signing/signature 1.0',
      'theglue/signing/signature 1.0 Sign#1 send ItemSigned -> theglue/signing/basketsign 1.0',
      'theglue/signing/signature 1.0 Refuse#1 send ItemRefused -> theglue/signing/basketsign 1.0',
      'theglue/signing/signature 1.0 WithdrawSignature#1 reply SignatureWithdrawn -> theglue/signing/basketsign 1.0',
    ]);
    const basket = analysis.journeys.find((j) => j.name === 'theglue/signing/basketsign');
    expect(basket?.senders).toEqual({
      ItemRefused: ['journey'],
      ItemSigned: ['journey'],
      SignatureFailed: ['journey'],
      SignatureWithdrawn: ['journey'],
      SubmitBasket: ['api'],
    });
    expect(basket?.accepts).toMatchObject({ signing: ['ItemSigned', 'ItemRefused', 'SignatureFailed'], rejected: ['ItemRefused', 'SignatureWithdrawn'] });
    expect(basket?.finalStates).toEqual(['completed']);
    expect(basket && formatAnalysis(basket)).toContain(
      '  links to other journeys:\n    SubmitBasket#1: starts theglue/signing/signature 1.0 with RequestSignature\n',
    );
  });

  it('alone, a journey only other journeys send to says so; a send nobody takes is reported across journeys', () => {
    const alone = analyzeJourney(named('theglue/signing/signature'));
    expect(alone.findings.map((f) => `${f.code}: ${f.message}`)).toContain(
      'unproduced-event: RequestSignature is accepted only from another journey, but nothing here produces it that way',
    );
    const lonely = compile(SENDER);
    const codes = analyzeJourneys([lonely])
      .findings.filter((f) => f.code === 'unreceived-message')
      .map((f) => f.message);
    expect(codes).toEqual([
      'Go#1 starts t/child 1.0, which is not among the journeys analysed',
      'Go#1 sends Ping, but none of the journeys analysed handles it',
      'Pong#1 replies with Ping, but no journey that sends it Pong handles Ping',
    ]);
  });

  it('draws the events other journeys send, what each bead starts and sends, and the links', () => {
    const analysis = analyzeJourneys(signing);
    const index = signing.indexOf(named('theglue/signing/basketsign'));
    const text = toMermaid(journeyGraph(named('theglue/signing/basketsign'), analysis.journeys[index]));
    expect(text).toContain('%% An event labelled (from a journey) was sent by another journey.');
    expect(text).toContain('  start -->|"SubmitBasket<br/>by role customer<br/>starts theglue/signing/signature 1.0"| s_signing');
    expect(text).toContain(
      '  s_signing -->|"ItemRefused (from a journey)<br/>by journey type theglue/signing/signature<br/>sends WithdrawSignature"| s_rejected',
    );
    expect(linksToMermaid(analysis.links)).toBe(
      [
        '%% Links between journey types. Generated by `journey graph --links`: do not edit.',
        '%% Arrows: ==> starts it, --> sends it events, -.-> replies to it.',
        'flowchart LR',
        '  j1["theglue/signing/basketsign 1.0"]',
        '  j2["theglue/signing/signature 1.0"]',
        '  j1 ==>|"starts with RequestSignature"| j2',
        '  j1 -->|"WithdrawSignature"| j2',
        '  j2 -->|"ItemSigned, ItemRefused"| j1',
        '  j2 -.->|"replies SignatureWithdrawn"| j1',
        '',
      ].join('\n'),
    );
  });
});

describe('journey graph', () => {
  const cli = useCliHarness('journey-links');
  const signingDir = resolve(root, 'journeys/theglue/signing');

  it('--links prints the links between the types; --out writes them beside the pictures', async () => {
    expect(await graphCommand.run([signingDir, '--links'])).toBe(0);
    expect(cli.output.join('\n')).toContain('  j1 ==>|"starts with RequestSignature"| j2');
    expect(await graphCommand.run([signingDir, '--out', cli.scratch])).toBe(0);
    expect(readFileSync(join(cli.scratch, 'links.mmd'), 'utf8')).toContain('  j2 -.->|"replies SignatureWithdrawn"| j1');
    expect(readFileSync(join(cli.scratch, 'theglue/signing/signature/1.0/journey.mmd'), 'utf8')).toContain(
      '  start -->|"RequestSignature (from a journey)"| s_pending',
    );
    expect(await graphCommand.run([signingDir, '--links', '--analysis'])).toBe(2);
  });
});

describe('journeys without the new steps', () => {
  it('compile to the IR they had, byte for byte (a deployed version is known by its hash)', async () => {
    const hashes: Record<string, string> = {};
    for (const dir of ['journeys', 'test/fixtures/journeys']) {
      for (const journey of (await compileJourneys(resolve(root, dir))).journeys) {
        hashes[`${journey.name} ${journey.version}`] = createHash('sha256').update(JSON.stringify(journey)).digest('hex');
      }
    }
    // Computed before events between journeys existed.
    expect(hashes).toMatchObject({
      'mybank/lending/mortgage 1.0': '06ff8c51561aa62b1a9851c1f7cb52b6c301a591b41e3de292fa2a06b7c51941',
      'mybank/payment/sct 2.0': 'cce7aa3b64b0fb19d6ef36237afa931831161b84a18b75aa44cf3ea0bb2b905a',
      'pfm/wallet 1.0': 'd9cdf0bad57d621d8daedf27922fe5f072c96451d38118833754ccfd28710e23',
      'theglue/psd2/x2a 1.0': '43adfc80cf4a4d2165b1b78baf524aff66b3ac0ed3ea3e65e6cae9d52b871c50',
      'theglue/psd2/x2a 2.0': '8fdb9142992791177aafaf4c24655d9ded71be26f4edd853d4ff3831fbbc413f',
      'pfm/wallet 2.0': '621bd2e2ee4da5270cc363669e97cdbb0c6586dd91cc722d38bccd74545d10cd',
    });
  });
});
