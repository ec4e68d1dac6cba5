import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertValidIr, compileJourney, formatDiagnostics, parseCompiledJourney } from '../../dsl/index.js';
import type { CompileOutput } from '../../dsl/index.js';

const walletDir = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const walletSource = readFileSync(`${walletDir}/journey.jd`, 'utf8');

function walletFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('wallet.data.schema.json', readFileSync(`${walletDir}/wallet.data.schema.json`, 'utf8'));
  for (const f of readdirSync(`${walletDir}/events`)) files.set(`events/${f}`, readFileSync(`${walletDir}/events/${f}`, 'utf8'));
  return files;
}

/** Compiles the wallet with one piece of its source replaced. */
function walletWith(from: string, to: string, extraFiles: Record<string, string> = {}): CompileOutput {
  const source = walletSource.replace(from, to);
  expect(source, `the wallet source contains ${JSON.stringify(from)}`).not.toBe(walletSource);
  const files = walletFiles();
  for (const [name, text] of Object.entries(extraFiles)) files.set(name, text);
  return compileJourney({ file: 'wallet.jd', source, files, expected: { name: 'pfm/wallet', version: '1.0' } });
}

function report(output: CompileOutput): string {
  return formatDiagnostics(output.diagnostics);
}

describe('compiler: the wallet', () => {
  it('compiles without diagnostics to an IR that matches ir.schema.json and survives a JSON round trip', () => {
    const output = compileJourney({ file: 'wallet.jd', source: walletSource, files: walletFiles() });
    expect(output.diagnostics).toEqual([]);
    const journey = output.journey;
    expect(journey).not.toBeNull();
    assertValidIr(journey);
    expect(parseCompiledJourney(JSON.stringify(journey))).toEqual(journey);
    expect(journey?.beads.map((b) => b.id)).toEqual(['OpenWallet#1', 'Deposit#1', 'Withdraw#1', 'CloseWallet#1']);
    expect(journey?.searchFields).toEqual([
      { name: 'owner', path: '$.owner', type: 'string' },
      { name: 'status', path: '$.status', type: 'string' },
    ]);
    expect(journey?.events.OpenWallet).toMatchObject({ initiating: true, handled: true, emitted: false });
    expect(journey?.events.Deposited).toMatchObject({ initiating: false, handled: false, emitted: true, published: true });
    const withdraw = journey?.beads[2];
    expect(withdraw?.access.map((a) => a.text)).toEqual(['sender == data.owner']);
    expect(withdraw?.preconditions).toEqual([expect.objectContaining({ text: 'data.status == "open"', decidableAtEdge: false })]);
  });

  it('is deterministic: compiling twice gives the same IR', () => {
    const a = compileJourney({ file: 'wallet.jd', source: walletSource, files: walletFiles() });
    const b = compileJourney({ file: 'wallet.jd', source: walletSource, files: walletFiles() });
    expect(JSON.stringify(a.journey)).toBe(JSON.stringify(b.journey));
  });
});

describe('compiler: exact messages of common mistakes', () => {
  it('a misspelled data field, with a suggestion and a caret under it', () => {
    expect(report(walletWith('data.balance + event.amount', 'data.balanse + event.amount'))).toBe(
      [
        'wallet.jd:16:22: error[unknown-path]: data.balanse is not defined in the data schema; did you mean balance?',
        ' 16 |   set balance = data.balanse + event.amount, deposits = data.deposits + 1',
        '    |                      ^^^^^^^',
      ].join('\n'),
    );
  });

  it('an event field its schema does not define', () => {
    expect(report(walletWith('data.balance + event.amount', 'data.balance + event.amout'))).toBe(
      [
        'wallet.jd:16:38: error[unknown-path]: event.amout is not defined in the schema of Deposit (events/deposit.schema.json); did you mean amount?',
        ' 16 |   set balance = data.balance + event.amout, deposits = data.deposits + 1',
        '    |                                      ^^^^^',
      ].join('\n'),
    );
  });

  it('writing a field the data schema does not define', () => {
    expect(report(walletWith('set status = "closed"', 'set stauts = "closed"'))).toContain(
      'wallet.jd:33:7: error[unknown-path]: data.stauts is not defined in the data schema; did you mean status?',
    );
  });

  it('a context field that does not exist', () => {
    expect(report(walletWith('on OpenWallet initiating', 'on OpenWallet initiating\n  when context.trustlevel >= 2'))).toContain(
      'error[unknown-path]: context.trustlevel is not a field of context (sender, roles, trustLevel, channel, geo, origin, journey, journeyType); did you mean trustLevel?',
    );
  });

  it('adding a number and a string', () => {
    expect(report(walletWith('data.balance + event.amount', 'data.balance + data.owner'))).toBe(
      [
        'wallet.jd:16:17: error[type-error]: cannot add a number and a string: data.balance + data.owner',
        ' 16 |   set balance = data.balance + data.owner, deposits = data.deposits + 1',
        '    |                 ^^^^^^^^^^^^^^^^^^^^^^^^^',
      ].join('\n'),
    );
  });

  it('comparing a string with a number', () => {
    expect(report(walletWith('when data.status == "open"\n  set balance', 'when data.status == 1\n  set balance'))).toBe(
      [
        'wallet.jd:15:8: error[type-error]: comparing a string with a number is always false: data.status == 1',
        ' 15 |   when data.status == 1',
        '    |        ^^^^^^^^^^^^^^^^',
      ].join('\n'),
    );
  });

  it('`and` on values that are not true or false (both sides reported)', () => {
    const output = walletWith('when data.status == "open"\n  set balance', 'when data.status and 1\n  set balance');
    expect(output.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '15:8 `and` needs true or false on both sides; data.status is a string',
      '15:24 `and` needs true or false on both sides; 1 is a number',
    ]);
  });

  it('a condition that is not true or false', () => {
    expect(report(walletWith('when data.balance == 0', 'when data.balance'))).toContain(
      'error[type-error]: a `when` condition must be true or false; data.balance is a number',
    );
  });

  it('setting a field to a value of the wrong type', () => {
    expect(report(walletWith('status = "closed"', 'status = 3'))).toContain('wallet.jd:33:16: error[type-error]: cannot set status (a string) to a number');
  });

  it('setting an enum field to a value its schema does not list, with a suggestion', () => {
    expect(report(walletWith('set status = "closed"', 'set status = "clossed"'))).toBe(
      [
        'wallet.jd:33:16: error[not-in-enum]: cannot set status to "clossed": its schema allows "open" or "closed"; did you mean "closed"?',
        ' 33 |   set status = "clossed"',
        '    |                ^^^^^^^^^',
      ].join('\n'),
    );
  });

  it('comparing an enum field with a value its schema does not list', () => {
    expect(report(walletWith('when data.status == "open"\n  set balance', 'when data.status == "opne"\n  set balance'))).toBe(
      [
        'wallet.jd:15:23: error[not-in-enum]: data.status == "opne" is always false: data.status is "open" or "closed"; did you mean "open"?',
        ' 15 |   when data.status == "opne"',
        '    |                       ^^^^^^',
      ].join('\n'),
    );
    expect(report(walletWith('when data.status == "open"\n  set balance', 'when "pending" != data.status\n  set balance'))).toContain(
      'error[not-in-enum]: "pending" != data.status is always true: data.status is "open" or "closed"',
    );
    expect(report(walletWith('on OpenWallet initiating', 'on OpenWallet initiating\n  when context.origin == "api"'))).not.toContain('not-in-enum');
  });

  it('`allow role "x" and <condition>`: one access rule, the role and the condition', () => {
    const output = walletWith(
      'on Withdraw\n  allow sender == data.owner',
      'on Withdraw\n  allow role "customer" and sender == data.owner and data.balance > 0',
    );
    expect(report(output)).toBe('');
    const withdraw = output.journey?.beads.find((b) => b.on === 'Withdraw');
    expect(withdraw?.access).toEqual([
      {
        text: 'role "customer" and sender == data.owner and data.balance > 0',
        condition: {
          kind: 'binary',
          op: 'and',
          left: { kind: 'binary', op: 'in', left: { kind: 'literal', value: 'customer' }, right: { kind: 'path', root: 'context', segments: ['roles'] } },
          right: expect.objectContaining({ kind: 'binary', op: 'and' }) as unknown,
        },
      },
    ]);
  });

  it('an access rule in a form the language does not have shows the forms it has', () => {
    expect(report(walletWith('on Withdraw\n  allow sender == data.owner', 'on Withdraw\n  allow role "customer" or sender == data.owner'))).toContain(
      'error[syntax]: unexpected `or`; an access rule is `allow role "x"`, `allow role "x" and <condition>` or `allow <condition>` (e.g. `allow "x" in roles or sender == data.owner`)',
    );
  });

  it('an unknown event, with a suggestion', () => {
    expect(report(walletWith('emit Deposited {', 'emit Depositted {'))).toBe(
      [
        'wallet.jd:17:8: error[unknown-event]: emits Depositted, which has no schema; did you mean Deposited?',
        ' 17 |   emit Depositted { amount: event.amount, balance: data.balance }',
        '    |        ^^^^^^^^^^',
      ].join('\n'),
    );
  });

  it('a bead for an event without a schema says how to declare it', () => {
    expect(walletWith('on CloseWallet', 'on Freeze\n  set status = "closed"\non CloseWallet').diagnostics[0]?.message).toBe(
      'a bead handles Freeze, which has no schema: declare `event Freeze { field: type, … }`, or add events/freeze.schema.json',
    );
  });

  it('an emitted event nobody handles is a warning, not an error', () => {
    const output = walletWith('publish WalletOpened, ', 'publish ');
    expect(output.journey).not.toBeNull();
    expect(report(output)).toBe(
      [
        'wallet.jd:12:8: warning[unhandled-event]: WalletOpened is emitted but no bead handles it; if it is meant for other systems, list it in `publish`',
        ' 12 |   emit WalletOpened { owner: data.owner, currency: data.currency }',
        '    |        ^^^^^^^^^^^^',
      ].join('\n'),
    );
  });

  it('an undefined action processor', () => {
    expect(report(walletWith('on Deposit\n  when', 'on Deposit\n  when data.deposits >= 0\n  when'))).toBe('');
    expect(report(walletWith('  emit Deposited', '  process computeFees\n  emit Deposited'))).toContain(
      'error[unknown-processor]: no action processor computeFees: expected the file processors/compute-fees.ts',
    );
    const withFile = walletWith('  emit Deposited', '  process computeFees\n  emit Deposited', { 'processors/compute-fees.ts': '' });
    expect(withFile.diagnostics).toEqual([]);
    expect(withFile.journey?.processors).toEqual(['computeFees']);
  });

  it('a bead after one that always applies is unreachable', () => {
    const output = walletWith('on CloseWallet', 'on Deposit\n  set deposits = 0\non Deposit\n  set deposits = 1\non CloseWallet');
    expect(output.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}: ${d.message}`)).toEqual([
      '31:4 unreachable-bead: this bead can never apply: the bead for Deposit on line 29 has no `allow` or `when` rules, so it always applies first',
    ]);
  });

  it('a bead with the same rules as an earlier one is unreachable', () => {
    const output = walletWith('on CloseWallet', 'on Deposit\n  when data.status == "open"\n  set deposits = 0\non CloseWallet');
    expect(output.diagnostics[0]?.message).toBe('this bead can never apply: the bead for Deposit on line 14 has the same rules and comes first');
  });

  it('a narrower bead after a broader one with the same `allow` is unreachable (subsumed)', () => {
    const narrower = walletWith(
      'on CloseWallet',
      'on Withdraw\n  allow sender == data.owner\n  when data.status == "open"\n  when event.amount > 100\n  set withdrawals = 0\non CloseWallet',
    );
    expect(narrower.diagnostics.map((d) => `${d.line}:${d.code}: ${d.message}`)).toEqual([
      '29:unreachable-bead: this bead can never apply: the bead for Withdraw on line 19 comes first and applies whenever this one would (its rules are among these: allow sender == data.owner; when data.status == "open")',
    ]);
    // More senders allowed, or fewer preconditions, is not narrower.
    const wider = walletWith(
      'on CloseWallet',
      'on Withdraw\n  allow sender == data.owner\n  allow role "auditor"\n  when data.status == "open"\n  set withdrawals = 0\non CloseWallet',
    );
    expect(wider.diagnostics).toEqual([]);
    const anyone = walletWith('on CloseWallet', 'on Withdraw\n  when data.status == "open"\n  when event.amount > 100\n  set withdrawals = 0\non CloseWallet');
    expect(anyone.diagnostics).toEqual([]);
  });

  it("an `if` the bead's own earlier `set` decides is an error", () => {
    const output = walletWith(
      '  emit WalletClosed { owner: data.owner }',
      '  if data.status == "open" then\n    set balance = 0\n  end\n  emit WalletClosed { owner: data.owner }',
    );
    expect(report(output)).toBe(
      [
        'wallet.jd:34:6: error[constant-condition]: this `if` is always false: data.status is "closed" here (set on line 33); test the value before the `set`, or drop the `if`',
        ' 34 |   if data.status == "open" then',
        '    |      ^^^^^^^^^^^^^^^^^^^^^',
      ].join('\n'),
    );
    // A value not known (from the event, or changed by a branch or a processor) decides nothing.
    expect(
      report(
        walletWith(
          '  emit WalletClosed { owner: data.owner }',
          '  if data.balance == 0 then\n    set balance = 0\n  end\n  emit WalletClosed { owner: data.owner }',
        ),
      ),
    ).toBe('');
    expect(
      report(
        walletWith(
          '  set status = "closed"\n',
          '  set status = "closed"\n  if data.balance == 0 then\n    set status = "open"\n  end\n  if data.status == "open" then\n    set balance = 0\n  end\n',
        ),
      ),
    ).toBe('');
  });

  it('duplicate initiating beads', () => {
    expect(walletWith('on CloseWallet', 'on OpenWallet initiating\n  set owner = "x"\non CloseWallet').diagnostics[0]?.message).toBe(
      'OpenWallet already has an initiating bead on line 9 that has no `allow` or `when` rules, so it always applies first',
    );
    expect(walletWith('on CloseWallet', 'on OpenWallet\n  set owner = "x"\non CloseWallet').diagnostics[0]?.message).toBe(
      'OpenWallet is initiating in the bead on line 9; mark this bead `initiating` too, or use another event',
    );
  });

  it('a journey without an initiating bead', () => {
    expect(walletWith('on OpenWallet initiating', 'on OpenWallet').diagnostics[0]?.message).toBe(
      'no bead is `initiating`: nothing can start this journey (write `on <Event> initiating`)',
    );
  });

  it('rules after steps', () => {
    expect(report(walletWith('  when data.balance == 0\n  set status = "closed"', '  set status = "closed"\n  when data.balance == 0'))).toBe(
      [
        "wallet.jd:33:3: error[misplaced-rule]: `when` must come before the bead's steps (set, emit, if, ...)",
        ' 33 |   when data.balance == 0',
        '    |   ^^^^',
      ].join('\n'),
    );
  });

  it('payloads that do not fit the event schema', () => {
    expect(walletWith('emit WalletClosed { owner: data.owner }', 'emit WalletClosed { ownr: data.owner }').diagnostics.map((d) => d.message)).toEqual([
      'WalletClosed needs field owner',
      'WalletClosed has no field ownr; did you mean owner?',
    ]);
    expect(walletWith('emit WalletClosed { owner: data.owner }', 'emit WalletClosed { owner: data.balance }').diagnostics.map((d) => d.message)).toEqual([
      'WalletClosed.owner is a string, but this is a number',
    ]);
  });

  it('timers: undeclared timer, bad unit, undeclared event', () => {
    const output = walletWith(
      '  emit WalletClosed',
      '  start timer expiry\n  after 5 dayz emit WalletClosed { owner: "x" }\n  after 1 hours emit Expired\n  emit WalletClosed',
    );
    expect(output.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`)).toEqual([
      'unknown-timer: timer expiry is not declared (declare it with `timer <name> after ...`)',
      'invalid-duration: unknown duration unit dayz; did you mean days?',
      'unknown-event: the timer fires Expired, which has no schema: declare `event Expired { field: type, … }`, or add events/expired.schema.json',
    ]);
  });

  it('call replies must be declared events', () => {
    const output = walletWith('  emit WalletClosed', '  call ledger.close { owner: data.owner } reply LedgerClosed failure WalletClosed\n  emit WalletClosed');
    expect(output.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'ledger.close replies with LedgerClosed, which has no schema: declare `event LedgerClosed { field: type, … }`, or add events/ledger-closed.schema.json',
    ]);
  });

  it('unknown functions and wrong argument counts', () => {
    expect(walletWith('set owner = event.owner', 'set owner = lenght(event.owner)').diagnostics[0]?.message).toBe(
      'there is no function lenght; did you mean length?',
    );
    expect(walletWith('set owner = event.owner', 'set owner = lower(event.owner, "x")').diagnostics[0]?.message).toBe('lower takes 1 argument, not 2');
  });

  it('the header must match the folder', () => {
    expect(report(walletWith('journey pfm/wallet version 1.0', 'journey pfm/wallet version 1.1'))).toBe(
      [
        'wallet.jd:2:28: error[journey-mismatch]: the header names version 1.1, but its folder is 1.0',
        ' 2 | journey pfm/wallet version 1.1',
        '   |                            ^^^',
      ].join('\n'),
    );
  });

  it('missing and broken schema files', () => {
    expect(walletWith('"wallet.data.schema.json"', '"walet.data.schema.json"').diagnostics[0]?.message).toBe(
      'schema file walet.data.schema.json does not exist; did you mean wallet.data.schema.json?',
    );
    const broken = walletWith('events from "events/"', 'events from "events/"\nevent Broken schema "broken.json"', { 'broken.json': '{ "type": ' });
    expect(broken.diagnostics[0]?.message).toMatch(/^broken\.json is not valid JSON: /);
    const invalid = walletWith('events from "events/"', 'events from "events/"\nevent Broken schema "broken.json"', { 'broken.json': '{ "type": "strin" }' });
    expect(invalid.diagnostics[0]?.message).toMatch(/^broken\.json is not a valid JSON Schema \(draft 2020-12\): /);
  });

  it('a problem inside a schema file is reported at its own line in that file', () => {
    const declare = ['events from "events/"', 'events from "events/"\nevent Broken schema "broken.json"'] as const;
    const badJson = walletWith(...declare, { 'broken.json': '{\n  "type": "object"\n  "x": 1\n}' });
    expect(badJson.diagnostics.map((d) => [d.file, d.line, d.column, d.code])).toEqual([['broken.json', 3, 3, 'invalid-schema']]);
    expect(badJson.diagnostics[0]?.message).toMatch(/^broken\.json is not valid JSON: .* \(named on line 5 of wallet\.jd\)$/);
    const badSchema = walletWith(...declare, { 'broken.json': '{\n  "type": "object",\n  "properties": {\n    "a": { "type": "strin" }\n  }\n}' });
    expect(badSchema.diagnostics.map((d) => [d.file, d.line, d.code])).toEqual([['broken.json', 4, 'invalid-schema']]);
    expect(formatDiagnostics(badSchema.diagnostics)).toContain(' 4 |     "a": { "type": "strin" }');
  });

  it('search fields must exist in the data schema with the declared type', () => {
    expect(walletWith('search owner: string, status: string', 'search owner: number, staus: string').diagnostics.map((d) => d.message)).toEqual([
      'search field owner is declared number, but data.owner is a string',
      'data.staus is not defined in the data schema; did you mean status?',
    ]);
  });

  it('reports several errors at once, in source order', () => {
    const output = walletWith('data.balance + event.amount', 'data.balanse + event.amout');
    expect(output.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(['16:22', '16:38']);
    expect(output.journey).toBeNull();
  });
});
