#!/usr/bin/env node
// Regenerates every generated source file from its single source of truth.
//   node scripts/generate.mjs           write the outputs
//   node scripts/generate.mjs --check   exit 1 (and name the files) if any output is stale
// Outputs are reproducible: same inputs, byte-identical outputs (no dates, no absolute paths).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** nearley grammar (.ne) → TypeScript parser tables. */
function nearleyGrammar(source, output) {
  const nearley = require('nearley');
  const compile = require('nearley/lib/compile.js');
  const generate = require('nearley/lib/generate.js');
  const bootstrapped = require('nearley/lib/nearley-language-bootstrapped.js');
  const { version } = require('nearley/package.json');
  return () => {
    const text = readFileSync(join(root, source), 'utf8');
    const parser = new nearley.Parser(nearley.Grammar.fromCompiled(bootstrapped));
    parser.feed(text);
    parser.feed('\n');
    if (parser.results.length !== 1) {
      throw new Error(`${source}: the nearley grammar has ${parser.results.length} parses (expected exactly 1)`);
    }
    // `args` tells nearley where @include paths are relative to; no other option changes the output.
    const compiled = compile(parser.results[0], { args: [join(root, source)], version });
    const body = generate(compiled, 'grammar');
    const header = [
      `// GENERATED FILE: DO NOT EDIT. Source: ${source}; regenerate with \`npm run generate\`.`,
      `// nearley ${version}. Lint is skipped for generated/ (the tables are typed \`any\` by nearley);`,
      '// tsc --strict checks it like every other file.',
      '',
    ].join('\n');
    return { path: output, content: header + body.replace(/^\/\/ Generated automatically by nearley, version .*\n/, '') };
  };
}

/**
 * The typed client's types from the OpenAPI document the API serves. The document is built by the
 * TypeScript sources, so scripts/client-types.ts runs under tsx and prints the file.
 */
function clientTypes(output) {
  return () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/client-types.ts')], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`scripts/client-types.ts failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
    return { path: output, content: run.stdout };
  };
}

const generators = [nearleyGrammar('dsl/grammar/journey.ne', 'dsl/grammar/generated/journey-grammar.ts'), clientTypes('client/generated/api.ts')];

const check = process.argv.includes('--check');
let stale = 0;
for (const generator of generators) {
  const { path, content } = generator();
  const target = join(root, path);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
  if (current === content) continue;
  if (check) {
    process.stderr.write(`stale: ${relative(root, target)} (run npm run generate)\n`);
    stale += 1;
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    process.stdout.write(`generated ${path}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
