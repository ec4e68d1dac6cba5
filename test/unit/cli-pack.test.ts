import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packCommand } from '../../cli/commands/pack.js';
import { createProgress } from '../../cli/progress.js';
import { parseBundle } from '../../dsl/index.js';
import { useCliHarness } from '../support/cli-harness.js';

const journeys = resolve(import.meta.dirname, '../../journeys');
const cli = useCliHarness('journey-pack');

/** A stand-in for process.stderr that records what is written. */
function recorder(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    text: '',
    isTTY,
    columns: 60,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('journey pack', () => {
  it('writes the bundle of a version, the same bytes each time', async () => {
    const first = join(cli.scratch, 'first.bundle.json');
    const second = join(cli.scratch, 'second.bundle.json');
    expect(await packCommand.run([join(journeys, 'mybank/lending/mortgage/1.0'), '--out', first])).toBe(0);
    expect(await packCommand.run([join(journeys, 'mybank/lending/mortgage/1.0'), '--out', second])).toBe(0);
    expect(readFileSync(second, 'utf8')).toBe(readFileSync(first, 'utf8'));
    const bundle = parseBundle(readFileSync(first, 'utf8'));
    expect(bundle.name).toBe('mybank/lending/mortgage');
    expect(Object.keys(bundle.processors)).toEqual(['computeMonthlyPayment']);
  });

  it('exits 1 with the compiler errors when the version does not compile', async () => {
    const copy = join(cli.scratch, 'pfm/wallet/1.0');
    cpSync(join(journeys, 'pfm/wallet/1.0'), copy, { recursive: true });
    writeFileSync(
      join(copy, 'journey.jd'),
      readFileSync(join(copy, 'journey.jd'), 'utf8').replace('data.balance + event.amount', 'data.balanse + event.amount'),
    );
    expect(await packCommand.run([copy, '--out', join(cli.scratch, 'x.json')])).toBe(1);
    expect(cli.output.join('\n')).toContain('data.balanse is not defined');
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await packCommand.run([])).toBe(2);
    expect(await packCommand.run(['a', 'b'])).toBe(2);
    expect(await packCommand.run([journeys, '--push'])).toBe(2);
    expect(await packCommand.run([journeys, '--base', 'journey-engine:0.1.0'])).toBe(2);
    expect(await packCommand.run([journeys, '--bogus'])).toBe(2);
  });
});

describe('progress', () => {
  it('prints plain lines when not on a terminal', () => {
    const stream = recorder(false);
    const progress = createProgress('pack', stream);
    progress.update(1, 2, 'compiled pfm/wallet 1.0');
    progress.note('Step 1/3 : FROM journey-engine:0.1.0');
    progress.finish('packed');
    expect(stream.text).toBe('pack: [1/2] compiled pfm/wallet 1.0\npack: Step 1/3 : FROM journey-engine:0.1.0\npack: packed\n');
  });

  it('redraws one bar on a terminal, notes above it, and ends with the last line', () => {
    const stream = recorder(true);
    const progress = createProgress('pack', stream);
    progress.update(1, 2, 'compiled pfm/wallet 1.0');
    expect(stream.text).toBe('\r\x1b[2Kpack [############............] 1/2 compiled pfm/wallet 1.0');
    progress.note('a docker line');
    expect(stream.text.endsWith('\r\x1b[2Ka docker line\n\r\x1b[2Kpack [############............] 1/2 compiled pfm/wallet 1.0')).toBe(true);
    progress.finish('packed');
    expect(stream.text.endsWith('\r\x1b[2Kpacked\n')).toBe(true);
  });
});
