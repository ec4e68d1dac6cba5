/** Reading an engine node's counters from its `GET /metrics` (Prometheus text), by label value. */

/**
 * The samples of counter `name` in `text`, keyed by the value of `label` ('' for a sample
 * without it), e.g. `je_events_forwarded_total` by `result`.
 */
export function counterSamples(text: string, name: string, label = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const key = label === '' ? '' : (new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(match[2] ?? '')?.[1] ?? '');
    out[key] = (out[key] ?? 0) + Number(match[3]);
  }
  return out;
}

/** Counter `name` of the node serving `port`, by `label`; throws when the node does not answer. */
export async function scrapeCounter(port: number, name: string, label = ''): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics on port ${port}: HTTP ${response.status}`);
  return counterSamples(await response.text(), name, label);
}

export function total(samples: Record<string, number>): number {
  return Object.values(samples).reduce((a, b) => a + b, 0);
}
