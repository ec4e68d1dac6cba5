import { JourneyError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { DurabilityVariables, SqlExecutor } from './store-types.js';

interface DurabilityRow {
  flush: unknown;
  log_bin: unknown;
  sync_binlog: unknown;
}

/** Reads the durability settings from the server's global variables. */
export async function readDurabilityVariables(executor: SqlExecutor): Promise<DurabilityVariables> {
  const row = await executor.queryOne<DurabilityRow>(
    'SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@GLOBAL.log_bin AS log_bin, @@GLOBAL.sync_binlog AS sync_binlog',
  );
  if (row === undefined) throw new Error('the server returned no row for the durability variables');
  return {
    innodbFlushLogAtTrxCommit: Number(row.flush),
    // log_bin is a read-only boolean: 1/0 (or 'ON'/'OFF' on some versions).
    logBin: row.log_bin === 1 || row.log_bin === '1' || String(row.log_bin).toUpperCase() === 'ON',
    syncBinlog: Number(row.sync_binlog),
  };
}

/** One unsafe setting: what it is, what it should be, how to fix it. */
export interface DurabilityProblem {
  setting: string;
  actual: string;
  required: string;
  fix: string;
}

/** Lists the settings that let an acknowledged commit be lost on a crash. Pure. */
export function findDurabilityProblems(variables: DurabilityVariables): DurabilityProblem[] {
  const problems: DurabilityProblem[] = [];
  if (variables.innodbFlushLogAtTrxCommit !== 1) {
    problems.push({
      setting: 'innodb_flush_log_at_trx_commit',
      actual: String(variables.innodbFlushLogAtTrxCommit),
      required: '1',
      fix: 'set innodb_flush_log_at_trx_commit=1 in the [mariadbd] section of the server config (or SET GLOBAL innodb_flush_log_at_trx_commit=1)',
    });
  }
  if (variables.logBin && variables.syncBinlog !== 1) {
    problems.push({
      setting: 'sync_binlog',
      actual: String(variables.syncBinlog),
      required: '1 (the binary log is on)',
      fix: 'set sync_binlog=1 in the [mariadbd] section of the server config (or SET GLOBAL sync_binlog=1)',
    });
  }
  return problems;
}

/**
 * Refuses to run on a server that can lose acknowledged commits (`JE_STORE_DURABILITY`, naming the
 * setting and the fix), unless `allowUnsafe` is set: then logs a loud warning, every start.
 */
export function assertDurability(variables: DurabilityVariables, options: { allowUnsafe: boolean; logger: Logger }): void {
  const problems = findDurabilityProblems(variables);
  if (problems.length === 0) return;
  const summary = problems.map((p) => `${p.setting}=${p.actual} (must be ${p.required}): ${p.fix}`).join('; ');
  if (options.allowUnsafe) {
    options.logger.warn(
      { durabilityProblems: problems },
      `UNSAFE DURABILITY: MariaDB can lose acknowledged commits on a crash, started anyway because allowUnsafeDurability is set. ${summary}`,
    );
    return;
  }
  throw new JourneyError(
    'JE_STORE_DURABILITY',
    `MariaDB is not configured for durable commits: ${summary}. (allowUnsafeDurability: true overrides this, never in production.)`,
    { details: { problems } },
  );
}
