import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import { journeyGraph, toSvg } from '../dsl/index.js';
import type { DeployedJourney, DrainReportEntry } from '../engine/index.js';
import { sendPage, viewerOf } from './context.js';
import type { ConsoleDeps } from './deps.js';
import { html, json, queryString, table, type Html } from './html.js';
import { page } from './layout.js';

/** The deployed versions the caller's tenant may use (all of them where tenants are not limited). */
export function visibleDeployments(deps: ConsoleDeps, request: FastifyRequest): DeployedJourney[] {
  const reader = deps.readerOf(request);
  return deps.engine
    .deployments()
    .filter((d) => reader.mayUseType?.(d.name) ?? true)
    .sort((a, b) => a.name.localeCompare(b.name) || b.version.localeCompare(a.version, undefined, { numeric: true }));
}

function instances(entry: DrainReportEntry | undefined, operator: boolean): Html {
  if (!operator) return html`<p class="muted">Instance counts cover every tenant: operators only.</p>`;
  if (entry === undefined) return html`<p class="muted">No instance counts for this version.</p>`;
  const { pending, active, failed } = entry.instances;
  return html`<p>
    Instances: <span class="badge active">${active} active</span> <span class="badge pending">${pending} pending</span>
    <span class="badge failed">${failed} failed</span> · hosted by ${entry.hosts === null ? '(membership unknown)' : entry.hosts.join(', ') || 'no live node'}
  </p>`;
}

function versionCard(deployed: DeployedJourney, entry: DrainReportEntry | undefined, operator: boolean): Html {
  const { name, version, journey } = deployed;
  const events = Object.entries(journey.events).map(
    ([type, definition]) =>
      html`<tr>
        <td><code>${type}</code></td>
        <td>
          ${[definition.initiating ? 'initiating' : '', definition.handled ? 'handled' : '', definition.emitted ? 'emitted' : ''].filter(Boolean).join(', ')}
        </td>
        <td>
          <details>
            <summary>schema</summary>
            ${json(definition.schema)}
          </details>
        </td>
      </tr>`,
  );
  const searchLink = `/console/search${queryString({ type: name, version })}`;
  return html`<section class="card" id="${`${name}@${version}`}">
    <h2>${name} <span class="badge">${version}</span></h2>
    <p class="muted">
      lane ${deployed.laneNo} · ${deployed.hosted ? 'handled on this node' : 'accepted here, handled by other nodes'} · search fields:
      ${journey.searchFields.map((f) => `${f.name}: ${f.type}`).join(', ') || 'none'} · <a href="${searchLink}">search</a>
    </p>
    ${instances(entry, operator)}
    <img class="diagram" alt="${`Diagram of ${name} ${version}`}" src="${`/console/diagram.svg${queryString({ type: name, version })}`}" />
    <h3>Events</h3>
    ${table(['Event', 'Role', 'Schema'], events)}
    <details>
      <summary>Data schema</summary>
      ${json(journey.dataSchema)}
    </details>
  </section>`;
}

export function registerTypesPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/', async (request, reply) => {
    const viewer = viewerOf(request);
    const deployed = visibleDeployments(deps, request);
    // The drain report counts every tenant's journeys: operators only, as GET /deployments?instances=true.
    const report = viewer.operator ? await deps.engine.drainReport() : [];
    const entryOf = (d: DeployedJourney) => report.find((e) => e.journeyType === d.name && e.version === d.version);
    const body =
      deployed.length === 0
        ? html`<p class="muted">No journey versions are deployed (that this tenant may use).</p>`
        : deployed.map((d) => versionCard(d, entryOf(d), viewer.operator));
    return sendPage(reply, 200, page({ title: 'Journey types', section: 'types', viewer, body: html`${body}` }));
  });

  app.get<{ Querystring: { type?: string; version?: string } }>('/diagram.svg', (request, reply) => {
    const { type, version } = request.query;
    const deployed = visibleDeployments(deps, request).find((d) => d.name === type && d.version === version);
    if (deployed === undefined) throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `No deployed version ${type ?? '?'} ${version ?? '?'}`);
    return reply
      .type('image/svg+xml; charset=utf-8')
      .header('cache-control', 'private, max-age=60')
      .send(toSvg(journeyGraph(deployed.journey)));
  });
}
