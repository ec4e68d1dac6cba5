/**
 * `ops/quote 1.0`, the smallest journey that calls a back end: its initiating `Ask` calls
 * `pricing.quote`; the reply (`Quoted`, with a `price`) or the call's failure event
 * (`QuoteFailed`, with `reason` and `attempts`) comes back from the back end only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileJourneys } from '../../dsl/index.js';
import type { CompiledJourney } from '../../dsl/index.js';
import { writeAdHocJourney } from './ad-hoc-journey.js';

export interface QuoteJourney {
  journeys: CompiledJourney[];
  /** Removes its source folder. */
  remove(): Promise<void>;
}

/** Compiles the quote journey; `onFailure` is what its failure event sets. */
export async function quoteJourney(onFailure = 'status = "failed"'): Promise<QuoteJourney> {
  const dir = await mkdtemp(join(tmpdir(), 'je-quote-journey-'));
  writeAdHocJourney(dir, {
    type: 'ops/quote',
    version: '1.0',
    source: `journey ops/quote version 1.0
data schema "quote.data.schema.json"
events from "events"

on Ask initiating
  set status = "asking"
  call pricing.quote { item: "widget" } reply Quoted failure QuoteFailed

on Quoted
  allow context.origin == "backend"
  set status = "quoted", price = event.price

on QuoteFailed
  allow context.origin == "backend"
  set ${onFailure}
`,
    dataSchemaFile: 'quote.data.schema.json',
    dataSchema: {
      title: 'Quote',
      properties: { status: { type: 'string' }, price: { type: 'integer' }, reason: { type: 'string' }, attempts: { type: 'integer' } },
      required: ['status'],
    },
    events: {
      Ask: { properties: {}, required: [] },
      Quoted: { properties: { price: { type: 'integer' } }, required: ['price'] },
      QuoteFailed: { properties: { reason: { type: 'string' }, attempts: { type: 'integer' } }, required: ['reason', 'attempts'] },
    },
  });
  const compiled = await compileJourneys(dir);
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`the quote journey does not compile: ${JSON.stringify(errors)}`);
  return { journeys: compiled.journeys, remove: () => rm(dir, { recursive: true, force: true }) };
}
