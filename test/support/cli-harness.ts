import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * For tests of `journey` commands: a fresh scratch folder and the command's console output
 * (log and error), captured per test. Read `cli.scratch` and `cli.output` inside tests.
 */
export function useCliHarness(prefix: string): { readonly scratch: string; readonly output: string[] } {
  const state = { scratch: '', output: [] as string[] };
  beforeEach(() => {
    state.scratch = mkdtempSync(join(tmpdir(), `${prefix}-`));
    state.output = [];
    const capture = (...args: unknown[]): void => {
      state.output.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(state.scratch, { recursive: true, force: true });
  });
  return {
    get scratch() {
      return state.scratch;
    },
    get output() {
      return state.output;
    },
  };
}
