/**
 * The back ends `journey serve` gives the engine: those configuration names (BACKENDS_MODULE, an
 * ES module exporting handlers; BACKENDS_CONFIG, a JSON file of HTTP back ends and circuit
 * breakers), or, with neither, the simulated example back ends (journeys/backends.ts), which are
 * for the examples and tests only and are never mixed with configured ones.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JourneyError, ensureError } from '../common/index.js';
import type { EngineConfig, Logger } from '../common/index.js';
import type { CompiledJourney } from '../dsl/index.js';
import { backendsFromModule, parseBackendsConfig, parseWebhooksConfig } from '../engine/index.js';
import type { BackendRegistry, BreakerOptions, WebhookConfig } from '../engine/index.js';
import { simulatedBackends } from '../journeys/index.js';

export interface ServeBackends {
  backends: BackendRegistry;
  breakers: Record<string, Partial<BreakerOptions>>;
}

const MODULE_SETTING = 'BACKENDS_MODULE (--backends-module)';
const FILE_SETTING = 'BACKENDS_CONFIG (--backends-config)';

async function moduleBackends(path: string): Promise<BackendRegistry> {
  const source = `${MODULE_SETTING} ${path}`;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new JourneyError('JE_CONFIG_INVALID', `${source}: the module cannot be loaded: ${ensureError(error).message}`, {
      cause: error,
      details: { setting: 'BACKENDS_MODULE', path },
    });
  }
  return backendsFromModule(exports, source);
}

/** A configuration file's JSON; `source` names the setting and the file in errors. */
async function readJsonSetting(path: string, source: string, setting: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new JourneyError('JE_CONFIG_INVALID', `${source}: cannot read it as JSON: ${ensureError(error).message}`, {
      cause: error,
      details: { setting, path },
    });
  }
}

async function fileBackends(path: string): Promise<ServeBackends> {
  const source = `${FILE_SETTING} ${path}`;
  const parsed = parseBackendsConfig(await readJsonSetting(path, source, 'BACKENDS_CONFIG'), process.env, source);
  return { backends: parsed.handlers, breakers: parsed.breakers };
}

/** Every `system.operation` the journeys call (call steps, wherever they are nested). */
export function callsOf(journeys: readonly CompiledJourney[]): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (record.kind === 'call' && typeof record.system === 'string' && typeof record.operation === 'string' && typeof record.replyEvent === 'string') {
      found.add(`${record.system}.${record.operation}`);
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(journeys.map((journey) => journey.beads));
  return [...found].sort();
}

/**
 * The back ends and breakers this node uses, from `config`. Logs what it uses and warns about
 * calls of the carried journeys that nothing answers (they dead-letter: "no back-end handler").
 * @throws JourneyError `JE_CONFIG_INVALID` naming the setting when a module or file is unusable,
 *   or both define the same call.
 */
export async function loadBackends(
  config: Pick<EngineConfig, 'backendsModule' | 'backendsConfig'>,
  journeys: readonly CompiledJourney[],
  logger: Logger,
): Promise<ServeBackends> {
  let chosen: ServeBackends;
  if (config.backendsModule === undefined && config.backendsConfig === undefined) {
    logger.warn(
      'no BACKENDS_MODULE or BACKENDS_CONFIG: back-end calls go to the simulated example back ends (journeys/backends.ts), for the examples and tests only',
    );
    chosen = { backends: simulatedBackends, breakers: {} };
  } else {
    const fromModule = config.backendsModule === undefined ? {} : await moduleBackends(config.backendsModule);
    const fromFile = config.backendsConfig === undefined ? { backends: {}, breakers: {} } : await fileBackends(config.backendsConfig);
    const twice = Object.keys(fromFile.backends).find((name) => name in fromModule);
    if (twice !== undefined) {
      throw new JourneyError('JE_CONFIG_INVALID', `${twice} is served by both ${MODULE_SETTING} and ${FILE_SETTING}: keep one`, {
        details: { setting: 'BACKENDS_CONFIG', call: twice },
      });
    }
    chosen = { backends: { ...fromModule, ...fromFile.backends }, breakers: fromFile.breakers };
    logger.info(
      { module: Object.keys(fromModule).sort(), http: Object.keys(fromFile.backends).sort(), breakers: Object.keys(fromFile.breakers).sort() },
      'back ends configured',
    );
  }
  const unanswered = callsOf(journeys).filter((name) => !(name in chosen.backends));
  if (unanswered.length > 0) {
    logger.warn({ calls: unanswered }, 'journeys here call back ends nothing answers: those calls fail to their failure event');
  }
  return chosen;
}

const WEBHOOKS_SETTING = 'WEBHOOKS_CONFIG (--webhooks-config)';

/**
 * The webhooks this node delivers, from WEBHOOKS_CONFIG; none without it.
 * @throws JourneyError `JE_CONFIG_INVALID` naming the setting when the file is unusable.
 */
export async function loadWebhooks(config: Pick<EngineConfig, 'webhooksConfig'>, logger: Logger): Promise<WebhookConfig[]> {
  if (config.webhooksConfig === undefined) return [];
  const path = config.webhooksConfig;
  const source = `${WEBHOOKS_SETTING} ${path}`;
  const webhooks = parseWebhooksConfig(await readJsonSetting(path, source, 'WEBHOOKS_CONFIG'), process.env, source);
  logger.info({ webhooks: webhooks.map((w) => ({ name: w.name, types: w.types ?? 'all', events: w.events ?? 'all' })) }, 'webhooks configured');
  return webhooks;
}
