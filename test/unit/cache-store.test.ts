import { describe, expect, it } from 'vitest';
import { JourneyError, isJourneyError } from '../../common/index.js';
import {
  AmbiguousCommitError,
  findDurabilityProblems,
  isConnectionError,
  isDuplicateKeyError,
  isRetryableTransactionError,
  loadMigrations,
  migrationLockName,
  parseMariadbUrl,
  retryDelayMs,
  searchColumnName,
  splitSqlStatements,
  validateSearchField,
  wrapStoreError,
} from '../../cache-store/index.js';

/** The shape of the driver's SqlError, without a server. */
function sqlError(errno: number, code: string, fatal = false): Error {
  return Object.assign(new Error(`(no: ${errno}) ${code}`), { errno, code, fatal, sqlState: 'HY000' });
}

describe('splitSqlStatements', () => {
  it('splits on ; outside quotes and comments and drops comment-only chunks', () => {
    const sql = [
      '-- header; with a semicolon',
      'CREATE TABLE a (x VARCHAR(10) DEFAULT \'a;b\', `we;ird` INT COMMENT "c;d");',
      '/* block ; comment */',
      "INSERT INTO a VALUES ('it''s;', 'back\\'slash;');",
      '# hash comment ;',
      'SELECT 1',
    ].join('\n');
    const statements = splitSqlStatements(sql);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^-- header; with a semicolon\nCREATE TABLE a .*"c;d"\)$/s);
    expect(statements[1]).toMatch(/^\/\* block ; comment \*\/\nINSERT INTO a VALUES \('it''s;', 'back\\'slash;'\)$/);
    expect(statements[2]).toBe('# hash comment ;\nSELECT 1');
  });

  it('returns nothing for comments only and rejects DELIMITER and unterminated literals', () => {
    expect(splitSqlStatements('-- nothing\n/* at all */\n;\n')).toEqual([]);
    expect(() => splitSqlStatements('DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //')).toThrow(/DELIMITER/);
    expect(() => splitSqlStatements("SELECT 'open")).toThrow(/unterminated/);
    expect(() => splitSqlStatements('SELECT 1 /* open')).toThrow(/unterminated/);
  });

  it('treats --x (no space) as code, as MariaDB does', () => {
    expect(splitSqlStatements('SELECT 1--1;SELECT 2')).toEqual(['SELECT 1--1', 'SELECT 2']);
  });
});

describe('the bundled migrations', () => {
  it('load in order with checksums, one statement per table', () => {
    const migrations = loadMigrations();
    expect(migrations[0]).toMatchObject({ version: 1, name: 'initial' });
    expect(migrations[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    const tables = migrations[0]?.statements.map((s) => /CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1]);
    expect(tables).toEqual(['cluster_meta', 'deployments', 'journeys', 'events', 'timers', 'outbox', 'partitions']);
  });

  it('scope the migration lock name to the database, within 64 characters', () => {
    expect(migrationLockName('a')).not.toBe(migrationLockName('b'));
    expect(migrationLockName('x'.repeat(64)).length).toBeLessThanOrEqual(64);
  });
});

describe('parseMariadbUrl', () => {
  it('parses user, password, host, port and database, with defaults', () => {
    expect(parseMariadbUrl('mariadb://app:p%40ss@db.local:3307/bank').target).toEqual({
      host: 'db.local',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'bank',
    });
    expect(parseMariadbUrl('mariadb://root@127.0.0.1').target).toMatchObject({ port: 3306, database: 'journeys', password: '' });
    expect(parseMariadbUrl('mariadb://root@[::1]:3306/x').target.host).toBe('::1');
    expect(parseMariadbUrl('mariadb://app:secret@h/db').redactedUrl).not.toContain('secret');
  });

  it.each(['', 'nope', 'mysql://u@h/db', 'mariadb://u@h:0/db', 'mariadb://@h/db', 'mariadb://u@h/a-b', 'mariadb://u@h/db?x=1'])(
    'rejects %j with JE_CONFIG_INVALID naming MARIADB_URL',
    (url) => {
      try {
        parseMariadbUrl(url);
        expect.unreachable();
      } catch (err) {
        expect(isJourneyError(err, 'JE_CONFIG_INVALID')).toBe(true);
        expect((err as JourneyError).details.setting).toBe('MARIADB_URL');
      }
    },
  );
});

describe('driver error classification', () => {
  it('retries deadlock, lock wait timeout and record changed, also when wrapped', () => {
    for (const errno of [1213, 1205, 1020]) expect(isRetryableTransactionError(sqlError(errno, 'X'))).toBe(true);
    expect(isRetryableTransactionError(sqlError(1062, 'ER_DUP_ENTRY'))).toBe(false);
    const wrapped = new JourneyError('JE_STORE_QUERY_FAILED', 'x', { cause: sqlError(1213, 'ER_LOCK_DEADLOCK') });
    expect(isRetryableTransactionError(wrapped)).toBe(true);
    expect(isRetryableTransactionError('1213')).toBe(false);
  });

  it('recognises connection failures', () => {
    expect(isConnectionError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED', errno: -111 }))).toBe(true);
    expect(isConnectionError(sqlError(45028, 'ER_GET_CONNECTION_TIMEOUT'))).toBe(true);
    expect(isConnectionError(sqlError(45013, 'ER_CMD_CONNECTION_CLOSED', true))).toBe(true);
    expect(isConnectionError(sqlError(1927, 'ER_CONNECTION_KILLED'))).toBe(true);
    expect(isConnectionError(sqlError(1213, 'ER_LOCK_DEADLOCK'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });

  it('wraps into registry errors with the driver error as cause', () => {
    const refused = wrapStoreError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'test');
    expect(isJourneyError(refused, 'JE_STORE_UNAVAILABLE')).toBe(true);
    expect(isJourneyError(wrapStoreError(sqlError(1213, 'ER_LOCK_DEADLOCK'), 'test'), 'JE_STORE_CONFLICT')).toBe(true);
    const dup = wrapStoreError(sqlError(1062, 'ER_DUP_ENTRY'), 'test');
    expect(isJourneyError(dup, 'JE_STORE_QUERY_FAILED')).toBe(true);
    expect(isDuplicateKeyError(dup)).toBe(true);
    expect((dup as JourneyError).details).toMatchObject({ errno: 1062, driverCode: 'ER_DUP_ENTRY' });
    const own = new JourneyError('JE_OVERLOADED', 'busy');
    expect(wrapStoreError(own, 'test')).toBe(own);
  });

  it('AmbiguousCommitError is a retryable JE_STORE_COMMIT_UNKNOWN flagged ambiguous', () => {
    const err = new AmbiguousCommitError('lost at COMMIT');
    expect(err.name).toBe('AmbiguousCommitError');
    expect(err.code).toBe('JE_STORE_COMMIT_UNKNOWN');
    expect(err.retryable).toBe(true);
    expect(err.details.ambiguous).toBe(true);
    expect(err.ambiguous).toBe(true);
  });
});

describe('findDurabilityProblems', () => {
  it('requires flush=1, and sync_binlog=1 only when the binlog is on', () => {
    expect(findDurabilityProblems({ innodbFlushLogAtTrxCommit: 1, logBin: false, syncBinlog: 0 })).toEqual([]);
    expect(findDurabilityProblems({ innodbFlushLogAtTrxCommit: 1, logBin: true, syncBinlog: 1 })).toEqual([]);
    expect(findDurabilityProblems({ innodbFlushLogAtTrxCommit: 2, logBin: true, syncBinlog: 0 }).map((p) => p.setting)).toEqual([
      'innodb_flush_log_at_trx_commit',
      'sync_binlog',
    ]);
  });
});

describe('retryDelayMs', () => {
  it('is full jitter under an exponential ceiling capped at maxMs', () => {
    expect(retryDelayMs(1, { baseMs: 20, maxMs: 1000 }, () => 0.999)).toBe(19);
    expect(retryDelayMs(3, { baseMs: 20, maxMs: 1000 }, () => 0.5)).toBe(40);
    expect(retryDelayMs(20, { baseMs: 20, maxMs: 1000 }, () => 0.999)).toBe(999);
    expect(retryDelayMs(4, { baseMs: 20, maxMs: 1000 }, () => 0)).toBe(0);
  });
});

describe('search field validation', () => {
  it('accepts strict names and paths', () => {
    expect(searchColumnName('owner_id2')).toBe('sf_owner_id2');
    expect(searchColumnName('debtorIban')).toBe('sf_debtor_iban');
    expect(searchColumnName('a'.repeat(30))).toBe(`sf_${'a'.repeat(30)}`);
    expect(() => searchColumnName('a'.repeat(31))).toThrow(JourneyError);
    expect(() => validateSearchField({ name: 'amount', path: '$.payment.amount', type: 'number' })).not.toThrow();
  });

  it.each([
    { name: "x'); DROP TABLE journeys; --", path: '$.x', type: 'string' },
    { name: 'x', path: "$.x'", type: 'string' },
    { name: 'x', path: '$.x y', type: 'string' },
    { name: 'x', path: '$."x"', type: 'string' },
    { name: 'x', path: '$**.x', type: 'string' },
  ] as const)('refuses %j', (field) => {
    expect(() => validateSearchField(field)).toThrow(JourneyError);
  });
});
