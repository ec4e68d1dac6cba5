#!/usr/bin/env node
/**
 * The static checks `npm test` runs before the tests: the type check, lint, formatting, import
 * cycles and the OpenAPI lint, side by side (one after another they take about a minute, mostly
 * single-threaded, on a machine with cores to spare). Each check's output is printed whole when it
 * ends, with its name and time; the exit status is 1 when any check failed.
 *
 *   node scripts/static-checks.mjs            # all of them
 *   node scripts/static-checks.mjs lint       # some of them, by npm script name
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import console from 'node:console';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const ALL = ['typecheck', 'lint', 'format:check', 'check:cycles', 'lint:openapi'];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !ALL.includes(name));
if (unknown.length > 0) {
  console.error(`unknown check(s): ${unknown.join(', ')}; the checks are ${ALL.join(', ')}`);
  process.exit(2);
}
const checks = wanted.length > 0 ? wanted : ALL;

function run(name) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const ok = code === 0;
      const text = Buffer.concat(output).toString().trimEnd();
      console.log(`\n> ${name}: ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds} s`);
      if (text) console.log(text);
      resolve(ok);
    });
  });
}

const results = await Promise.all(checks.map(run));
const failed = checks.filter((_, i) => !results[i]);
if (failed.length > 0) {
  console.error(`\nstatic checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\nstatic checks passed: ${checks.join(', ')}`);
