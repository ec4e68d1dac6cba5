/**
 * `journey test`: runs scenarios, reports a failure like a compiler error (file:line:col, the
 * scenario and step, the line and a caret) and exits 1.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testCommand } from '../../cli/commands/test.js';
import { useCliHarness } from '../support/cli-harness.js';

const journeys = resolve(import.meta.dirname, '../../journeys');
const cli = useCliHarness('journey-test-cli');

describe('journey test', () => {
  it('exits 0 when every scenario passes, naming each', async () => {
    expect(await testCommand.run([join(journeys, 'pfm/wallet/1.0')])).toBe(0);
    const text = cli.output.join('\n');
    expect(text).toContain('pfm/wallet 1.0 (');
    expect(text).toMatch(/ok {4}only the owner withdraws \(wallet\.yaml, 1 step\)/);
    expect(text).toMatch(/\d+ scenarios: \d+ passed, 0 failed \(1 version with scenarios\)/);
  });

  it('exits 1 and prints a failed expectation like a compiler error: file:line:col, scenario, step, the line and a caret', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    const file = join(copy, 'scenarios/wallet.yaml');
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('data: { balance: 60, withdrawals: 1 }')) + 1;
    writeFileSync(file, text.replace('data: { balance: 60, withdrawals: 1 }', 'data: { balance: 61, withdrawals: 1 }'));
    expect(await testCommand.run([cli.scratch])).toBe(1);
    const output = cli.output.join('\n');
    expect(output).toContain(
      `scenarios/wallet.yaml:${line}:19: error[expectation-failed]: open, deposit and withdraw › step 3 (send Withdraw as alice): data.balance is 60, expected 61`,
    );
    expect(output).toContain(`data: { balance: 61, withdrawals: 1 }\n${' '.repeat(String(line).length + 2)}|                   ^^^^^^^`);
    expect(output).toMatch(/FAIL {2}open, deposit and withdraw/);
    expect(output).toMatch(/\d+ scenarios: \d+ passed, 1 failed/);
  });

  it('runs one scenario file; --json gives every failure with its place', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    writeFileSync(join(copy, 'scenarios/broken.json'), JSON.stringify({ scenarios: [{ name: 'typo', steps: [{ sned: 'OpenWallet' }] }] }, null, 2));
    expect(await testCommand.run([join(copy, 'scenarios/wallet.yaml')])).toBe(0);
    cli.output.length = 0;
    expect(await testCommand.run([join(copy, 'scenarios'), '--json'])).toBe(1);
    const report = JSON.parse(cli.output.join('\n')) as { failures: Array<{ code: string; file: string; line: number; column: number; message: string }> };
    expect(report.failures.map((f) => [f.code, f.file.endsWith('scenarios/broken.json'), f.line, f.column, f.message])).toEqual([
      ['scenario-invalid', true, 7, 11, 'scenarios.0.steps.0 has unknown property "sned"'],
    ]);
  });

  it('reports a version that does not compile instead of running its scenarios', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    const definition = join(copy, 'journey.jd');
    writeFileSync(definition, readFileSync(definition, 'utf8').replace('data.balance + event.amount', 'data.balanse + event.amount'));
    expect(await testCommand.run([cli.scratch])).toBe(1);
    expect(cli.output.join('\n')).toContain('journey.jd:16:22: error[journey-invalid]: [unknown-path] data.balanse is not defined in the data schema');
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await testCommand.run([])).toBe(2);
    expect(await testCommand.run(['a', 'b'])).toBe(2);
    expect(await testCommand.run([journeys, '--nope'])).toBe(2);
  });
});
