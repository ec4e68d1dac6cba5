import type { FastifyInstance } from 'fastify';
import { sendPage, viewerOf } from './context.js';
import type { ConsoleDeps } from './deps.js';
import { cells, html, table, type Html } from './html.js';
import { page } from './layout.js';
import type { PartitionLeaseView } from '../engine/index.js';

/** The engine metrics the page shows, summed over their labels. */
const SHOWN = {
  je_events_accepted_total: 'Events accepted',
  je_events_handled_total: 'Events handled',
  je_mailbox_depth: 'Mailbox depth (events waiting)',
  je_journeys_in_memory: 'Journeys in memory',
  je_partitions_owned: 'Partitions owned',
  je_lease_changes_total: 'Lease changes',
  je_dead_letters: 'Dead letters',
} as const;
type Shown = keyof typeof SHOWN;

/** Sums each shown metric of a Prometheus text exposition over its label sets. */
export function metricTotals(text: string): Record<Shown, number> {
  const totals = Object.fromEntries(Object.keys(SHOWN).map((name) => [name, 0])) as Record<Shown, number>;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{[^}]*\})? (\S+)/.exec(line);
    if (match?.[1] !== undefined && match[1] in totals) totals[match[1] as Shown] += Number(match[2]);
  }
  return totals;
}

/** Rates between two looks at the page (the page refreshes itself), from the counters' growth. */
class RateSampler {
  private last: { atMs: number; accepted: number; handled: number } | undefined;

  sample(accepted: number, handled: number): { accepted: number; handled: number } | undefined {
    const now = Date.now();
    const last = this.last;
    const seconds = last === undefined ? 0 : (now - last.atMs) / 1000;
    if (last === undefined || seconds >= 1) this.last = { atMs: now, accepted, handled };
    if (last === undefined || seconds <= 0) return undefined;
    return { accepted: (accepted - last.accepted) / seconds, handled: (handled - last.handled) / seconds };
  }
}

/** Each node's partitions, then every partition's lease (owner, epoch: the fence of its commits, expiry). */
function leaseTable(leases: PartitionLeaseView[]): Html {
  const byOwner = new Map<string, number[]>();
  for (const lease of leases) {
    const owner = lease.live && lease.owner !== null ? lease.owner : '(nobody)';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), lease.partition]);
  }
  return html`${table(
    ['Node', 'Partitions held', 'Count'],
    [...byOwner.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([owner, held]) => cells(owner, held.join(', '), held.length)),
  )}
  ${table(
    ['Partition', 'Owner', 'Epoch', 'Lease until', 'Live'],
    leases.map((lease) =>
      cells(lease.partition, lease.owner ?? '—', lease.epoch, lease.leaseExpiresAt ?? '—', badge(lease.live, lease.live ? 'live' : 'expired')),
    ),
  )}`;
}

const badge = (up: boolean, text = up ? 'up' : 'down'): Html => html`<span class="badge ${up ? 'up' : 'down'}">${text}</span>`;

export function registerNodesPage(app: FastifyInstance, deps: ConsoleDeps): void {
  const rates = new RateSampler();
  app.get('/nodes', async (request, reply) => {
    const viewer = viewerOf(request);
    const { engine } = deps;
    // What GET /ready and /metrics serve (public operations routes), and for operators the version hosts of GET /deployments?instances=true.
    const [readiness, metricsText, report, leases] = await Promise.all([
      engine.readiness(),
      engine.metricsText(),
      viewer.operator ? engine.drainReport() : Promise.resolve(null),
      viewer.operator ? engine.partitionLeases() : Promise.resolve(null),
    ]);
    const totals = metricTotals(metricsText);
    const rate = rates.sample(totals.je_events_accepted_total, totals.je_events_handled_total);
    const { partitions, grid, store, versions } = readiness;
    const node = html`<section class="card">
      <h2>
        This node:
        <code>${readiness.nodeId}</code>
        ${badge(readiness.ready, readiness.ready ? 'ready' : 'not ready')}${readiness.degraded ? html` <span class="badge pending">degraded</span>` : ''}
      </h2>
      <dl>
        <dt>Grid (Redis)</dt>
        <dd>${badge(grid.up)} ${grid.mode}, ${grid.nodes} node${grid.nodes === 1 ? '' : 's'}${grid.error === undefined ? '' : ` — ${grid.error}`}</dd>
        <dt>Store (MariaDB)</dt>
        <dd>${badge(store.up)}${store.error === undefined ? '' : ` ${store.error}`}</dd>
        <dt>Partitions</dt>
        <dd>
          ${partitions.owned} of ${partitions.total} held
          here${partitions.unowned === undefined ? '' : ` · ${partitions.unowned} without an owner`}${
            partitions.unownedPartitions?.length ? ` (${partitions.unownedPartitions.join(', ')})` : ''
          }
        </dd>
        <dt>Versions hosted</dt>
        <dd>${versions === undefined ? 'unknown (no grid answer)' : versions.hosted.join(', ') || 'none'}</dd>
        ${
          versions?.withoutHost.length
            ? html`<dt>Deployed, no host</dt>
                <dd class="reason">${versions.withoutHost.join(', ')}</dd>`
            : ''
        }
        <dt>Accepted / handled</dt>
        <dd>${rate === undefined ? 'rates show from the next refresh' : `${rate.accepted.toFixed(1)} / ${rate.handled.toFixed(1)} events per second`}</dd>
      </dl>
      ${table(
        ['Metric (this node)', 'Value'],
        Object.entries(SHOWN).map(([name, label]) => cells(html`${label} <span class="muted mono">${name}</span>`, totals[name as Shown])),
      )}
    </section>`;
    const hosts =
      report === null
        ? html`<p class="muted">Which nodes host each version: operators only.</p>`
        : table(
            ['Version', 'Lane', 'Hosts (live nodes)', 'Deployed'],
            report
              .filter((entry) => entry.deployed)
              .map((entry) =>
                cells(
                  `${entry.journeyType} ${entry.version}`,
                  entry.laneNo,
                  entry.hosts === null ? 'unknown' : entry.hosts.join(', ') || 'none',
                  entry.deployedAt,
                ),
              ),
          );
    const partitionMap = leases === null ? html`<p class="muted">Which node holds which partition: operators only.</p>` : leaseTable(leases);
    return sendPage(
      reply,
      200,
      page({
        title: 'Nodes and partitions',
        section: 'nodes',
        viewer,
        refreshS: 5,
        body: html`${node}
          <h2>Versions and their hosts</h2>
          ${hosts}
          <h2>Partitions and their leases</h2>
          ${partitionMap}`,
      }),
    );
  });
}
