import { appendFileSync } from 'node:fs';

/** The one scenario table the chaos suite prints at the end of a run. */
export const CHAOS_SUMMARY_HEADER =
  '| scenario | sent | acknowledged | applied | rejected | lost | doubled | out of order | recovery |\n|---|---|---|---|---|---|---|---|---|';

/** Adds a row to the run's summary (the global setup names the file and prints it at the end). */
export function recordScenario(row: string): void {
  const file = process.env.JE_CHAOS_SUMMARY;
  if (file) appendFileSync(file, `${row}\n`);
}
