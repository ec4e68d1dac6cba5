import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { compileCommand } from '../../cli/commands/compile.js';
import { useCliHarness } from '../support/cli-harness.js';

const journeys = resolve(import.meta.dirname, '../../journeys');
const cli = useCliHarness('journey-cli');

describe('journey check', () => {
  it('exits 0 on the example journeys', async () => {
    expect(await checkCommand.run([journeys])).toBe(0);
    expect(cli.output.join('\n')).toContain('pfm/wallet 1.0');
  });

  it('exits 1 and prints located errors when a journey is broken', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    const file = join(copy, 'journey.jd');
    writeFileSync(file, readFileSync(file, 'utf8').replace('data.balance + event.amount', 'data.balanse + event.amount'));
    expect(await checkCommand.run([cli.scratch])).toBe(1);
    const text = cli.output.join('\n');
    expect(text).toContain('journey.jd:16:22: error[unknown-path]: data.balanse is not defined in the data schema; did you mean balance?');
    expect(text).toContain('0 journey versions compiled; 1 error, 0 warnings');
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await checkCommand.run([])).toBe(2);
    expect(await checkCommand.run(['a', 'b'])).toBe(2);
    expect(await checkCommand.run([journeys, '--strict'])).toBe(2);
    expect(await checkCommand.run([journeys, '--analysis', '--json'])).toBe(2);
  });

  it('prints the static analysis with --analysis: states, accepted events, senders', async () => {
    expect(await checkCommand.run([journeys, '--analysis', '--strict'])).toBe(0);
    const text = cli.output.join('\n');
    expect(text).toContain('pfm/wallet 1.0 (pfm/wallet/1.0/journey.jd)');
    expect(text).toMatch(/closed\s+-/);
    expect(text).toMatch(/\n7 journey versions compiled \(.*\); 0 errors, 0 warnings$/);
  });

  it('with --analysis, prints one summary after the findings, counting them', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    const file = join(copy, 'journey.jd');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('\n  allow sender == data.owner', '\n  allow context.origin == "timer"'));
    expect(await checkCommand.run([cli.scratch, '--analysis'])).toBe(0);
    const text = cli.output.join('\n');
    const listed = text.split('\n').filter((line) => /warning\[/.test(line)).length;
    expect(listed).toBeGreaterThan(0);
    const summaries = text.split('\n').filter((line) => line.includes('journey version'));
    expect(summaries).toEqual([`1 journey version compiled (pfm/wallet 1.0); 0 errors, ${listed} warning${listed === 1 ? '' : 's'}`]);
    expect(text.trimEnd().endsWith(summaries[0] ?? '')).toBe(true);
    // Each finding with a place shows its source line with a caret under it, as the compiler's do.
    const lines = text.split('\n');
    const at = lines.findIndex((line) => /journey\.jd:\d+:\d+: warning\[/.test(line));
    expect(lines[at + 1]).toMatch(/^\s+\d+ \| on \w+/);
    expect(lines[at + 2]).toMatch(/^\s+\| \^\^$/);
  });

  it('fails --analysis --strict on an event no sender may send', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    const file = join(copy, 'journey.jd');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('\n  allow sender == data.owner', '\n  allow context.origin == "timer"'));
    const code = await checkCommand.run([cli.scratch, '--analysis', '--strict']);
    const text = cli.output.join('\n');
    expect(text, text).toMatch(/warning\[/);
    expect(code).toBe(1);
  });
});

describe('journey compile', () => {
  it('writes the IR of each journey version', async () => {
    expect(await compileCommand.run([journeys, '--out', cli.scratch])).toBe(0);
    const ir = JSON.parse(readFileSync(join(cli.scratch, 'pfm/wallet/1.0/journey.json'), 'utf8')) as { name: string; version: string };
    expect([ir.name, ir.version]).toEqual(['pfm/wallet', '1.0']);
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await compileCommand.run([journeys, '--out'])).toBe(2);
    expect(await compileCommand.run([journeys, '--bogus'])).toBe(2);
  });
});
