import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JourneyError } from '../common/index.js';

/**
 * Lua scripts live in `grid/lua/<name>-<numKeys>.lua`, each opening with a `--[[ ... ]]` header
 * that documents every `KEYS[i]` and `ARGV[i]`. They are registered on every client with ioredis
 * `defineCommand` (EVALSHA, falling back to EVAL on NOSCRIPT, e.g. after a failover to a fresh
 * replica). Every key a script touches must be passed in KEYS and share one hash tag.
 */
export interface LuaScript {
  /** File name without the key count and extension, e.g. `put-state`. */
  readonly name: string;
  /** The ioredis command it is registered as, e.g. `jePutState`. */
  readonly commandName: string;
  /** How many leading arguments are keys. */
  readonly numberOfKeys: number;
  readonly source: string;
}

const FILE_PATTERN = /^([a-z][a-z0-9]*(?:-[a-z0-9]+)*)-(\d+)\.lua$/;

/**
 * The folder holding the scripts. Sources run from `grid/`, the build from `dist/grid/`, which
 * tsc does not copy `.lua` files to: that case reads them from the checkout's `grid/lua`.
 */
export function luaScriptDir(): string {
  const candidates = [new URL('./lua/', import.meta.url), new URL('../../grid/lua/', import.meta.url)].map((url) => fileURLToPath(url));
  const found = candidates.find((dir) => existsSync(dir));
  if (found === undefined) throw new JourneyError('JE_INTERNAL', `Lua scripts not found in ${candidates.join(' or ')}`);
  return found;
}

function commandNameOf(name: string): string {
  return `je${name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;
}

/** Checks the header documents exactly KEYS[1..numberOfKeys]; returns a problem or null. */
export function luaHeaderProblem(source: string, numberOfKeys: number): string | null {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
  if (header === undefined) return 'does not open with a --[[ ... ]] header';
  const documented = new Set([...header.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])));
  const used = new Set([...source.slice(header.length).matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])));
  for (let index = 1; index <= numberOfKeys; index++) {
    if (!documented.has(index)) return `header does not document KEYS[${index}]`;
  }
  for (const index of [...documented, ...used]) {
    if (index > numberOfKeys) return `uses KEYS[${index}] but the file name declares ${numberOfKeys} keys`;
  }
  if (!header.includes('ARGV') && /ARGV\[/.test(source)) return 'header does not document ARGV';
  return null;
}

let cached: ReadonlyMap<string, LuaScript> | undefined;

/** Reads and checks every script in `dir` (cached for the default folder). */
export function loadLuaScripts(dir?: string): ReadonlyMap<string, LuaScript> {
  if (dir === undefined && cached !== undefined) return cached;
  const folder = dir ?? luaScriptDir();
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(folder)
    .filter((entry) => entry.endsWith('.lua'))
    .sort()) {
    const match = FILE_PATTERN.exec(file);
    if (match?.[1] === undefined || match[2] === undefined) {
      throw new JourneyError('JE_INTERNAL', `Lua script ${file} is not named <name>-<numKeys>.lua`);
    }
    const numberOfKeys = Number(match[2]);
    const source = readFileSync(join(folder, file), 'utf8');
    const problem = luaHeaderProblem(source, numberOfKeys);
    if (problem !== null) throw new JourneyError('JE_INTERNAL', `Lua script ${file} ${problem}`);
    scripts.set(match[1], Object.freeze({ name: match[1], commandName: commandNameOf(match[1]), numberOfKeys, source }));
  }
  if (dir === undefined) cached = scripts;
  return scripts;
}
