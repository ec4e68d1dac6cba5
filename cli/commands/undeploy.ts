import { parseArgs } from 'node:util';
import type { UndeployResult } from '../../engine/index.js';
import { apiTarget, callApi, typePath, withApiErrors } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey undeploy <type> <version> --url <api> [--token <jwt>]

Undeploys one journey version from a running cluster: from then on its events are refused (404),
on the node asked at once and on the others within seconds. Refused while the version has
pending or active instances (uplift them, or let them finish); journey versions shows which
versions can be retired. A version is never deployed again under the same number.

  --url <api>       the API of any node (default $JOURNEY_API_URL)
  --token <jwt>     a bearer token with the operator role (default $JOURNEY_API_TOKEN); without
                    one the dev-mode headers name the operator (a node in AUTH_MODE=dev)

Exit codes: 0 undeployed (or undeployed already), 1 refused (instances remain, never deployed,
not an operator), 2 wrong command line, 3 the API failed.`;

const TYPE = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\/[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/;
const VERSION = /^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/;

/** `journey undeploy`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createUndeployCommand(fetchImpl?: typeof fetch): CliCommand {
  async function run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { url: { type: 'string' }, token: { type: 'string' } } });
    const [journeyType, version, ...extra] = positionals;
    if (journeyType === undefined || version === undefined || extra.length > 0)
      throw new UsageError('expected a journey type and a version, e.g. pfm/wallet 1.0');
    if (!TYPE.test(journeyType)) throw new UsageError(`'${journeyType}' is not a journey type (e.g. pfm/wallet)`);
    if (!VERSION.test(version)) throw new UsageError(`'${version}' is not a version (e.g. 1.0)`);
    const target = apiTarget(values, fetchImpl);
    return withApiErrors('undeploy', async () => {
      const { body } = await callApi<UndeployResult>(target, 'DELETE', `/deployments/${typePath(journeyType)}/${version}`);
      console.log(
        body.changed
          ? `undeployed ${journeyType} ${version} at ${body.undeployedAt}`
          : `${journeyType} ${version} was undeployed already (${body.undeployedAt})`,
      );
      return EXIT.ok;
    });
  }
  return { name: 'undeploy', summary: 'Undeploy a journey version that has no live instances', help: HELP, run: withUsage('undeploy', HELP, run) };
}

/** `journey undeploy <type> <version> --url <api>`. */
export const undeployCommand = createUndeployCommand();
