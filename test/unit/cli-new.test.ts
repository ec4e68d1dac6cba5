/**
 * `journey new`: scaffolds a version whose scenarios pass as written, with names the language
 * takes, never over an existing version.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../cli/commands/check.js';
import { newCommand } from '../../cli/commands/new.js';
import { testCommand } from '../../cli/commands/test.js';
import { useCliHarness } from '../support/cli-harness.js';

const cli = useCliHarness('journey-new-cli');

describe('journey new', () => {
  it('scaffolds a version that compiles without warnings and whose scenarios pass', async () => {
    expect(await newCommand.run(['acme/hr/leave', '1.0', '--dir', cli.scratch])).toBe(0);
    const folder = join(cli.scratch, 'acme/hr/leave/1.0');
    for (const file of ['journey.jd', 'leave.data.schema.json', 'scenarios/start-leave.yaml']) {
      expect(existsSync(join(folder, file)), file).toBe(true);
    }
    // Its event is declared inline: no schema file for it.
    expect(existsSync(join(folder, 'events'))).toBe(false);
    const definition = readFileSync(join(folder, 'journey.jd'), 'utf8');
    expect(definition).toContain('journey acme/hr/leave version 1.0');
    expect(definition).toContain('read allow sender == data.owner or "auditor" in roles');
    expect(definition).toContain('event StartLeave { title: string(1..200) }');
    expect(definition).toContain('on StartLeave initiating');
    cli.output.length = 0;
    expect(await checkCommand.run([cli.scratch, '--analysis', '--strict'])).toBe(0);
    expect(cli.output.join('\n')).toContain('0 errors, 0 warnings');
    cli.output.length = 0;
    expect(await testCommand.run([folder])).toBe(0);
    expect(cli.output.join('\n')).toContain('2 scenarios: 2 passed, 0 failed');
  });

  it('derives names from the last part: sick_leave → StartSickLeave, its scenarios in start-sick-leave.yaml', async () => {
    expect(await newCommand.run(['acme/hr/sick_leave', '2.0.1', '--dir', cli.scratch])).toBe(0);
    const folder = join(cli.scratch, 'acme/hr/sick_leave/2.0.1');
    expect(readFileSync(join(folder, 'journey.jd'), 'utf8')).toContain('event StartSickLeave { title: string(1..200) }');
    expect(existsSync(join(folder, 'scenarios/start-sick-leave.yaml'))).toBe(true);
    expect(existsSync(join(folder, 'sick-leave.data.schema.json'))).toBe(true);
    expect(await testCommand.run([folder])).toBe(0);
  });

  it('never overwrites a version: an existing folder is left as it was (exit 1)', async () => {
    expect(await newCommand.run(['acme/hr/leave', '1.0', '--dir', cli.scratch])).toBe(0);
    const definition = join(cli.scratch, 'acme/hr/leave/1.0/journey.jd');
    writeFileSync(definition, '// mine\n');
    expect(await newCommand.run(['acme/hr/leave', '1.0', '--dir', cli.scratch])).toBe(1);
    expect(readFileSync(definition, 'utf8')).toBe('// mine\n');
    expect(cli.output.join('\n')).toContain('exists already; nothing was written');
  });

  it('refuses names the language does not take (exit 2), writing nothing', async () => {
    for (const [type, version, why] of [
      ['acme/hr-x/leave', '1.0', '"hr-x" in "acme/hr-x/leave" is not a name'],
      ['acme/data/leave', '1.0', '"data" in "acme/data/leave" is a reserved word of the journey language'],
      ['acme//leave', '1.0', 'has an empty part'],
      ['acme/hr/leave', 'v1', '"v1" is not a version'],
    ] as const) {
      cli.output.length = 0;
      expect(await newCommand.run([type, version, '--dir', cli.scratch]), type).toBe(2);
      expect(cli.output.join('\n')).toContain(why);
    }
    expect(await newCommand.run(['acme/hr/leave', '--dir', cli.scratch])).toBe(2);
    expect(existsSync(join(cli.scratch, 'acme'))).toBe(false);
  });
});
