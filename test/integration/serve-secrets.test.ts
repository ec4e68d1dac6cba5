/**
 * No secret in the log: a `journey serve` started with a password in REDIS_URL (the test grid's
 * seeds carry its password) and in MARIADB_URL (a user made for this test), a GRID_SECRET and JWT
 * secrets logs, at debug level, from start-up to shutdown, none of them; the grid's seeds appear
 * with the password masked.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortBase, parseRedisUrl } from '../../grid/index.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { mariadbAdmin, mariadbServerUrl } from '../support/services.js';
import { ServeProcess } from '../support/serve-process.js';

describe('journey serve logs no secret', () => {
  let database: TestDatabase;
  const user = `je_${randomBytes(5).toString('hex')}`;
  const mariadbPassword = `db-${randomBytes(12).toString('hex')}`;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    const admin = await mariadbAdmin(mariadbServerUrl());
    try {
      await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${mariadbPassword}'`);
      await admin.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${mariadbPassword}'`);
      for (const host of ['%', 'localhost']) await admin.query(`GRANT ALL PRIVILEGES ON \`${database.name}\`.* TO '${user}'@'${host}'`);
    } finally {
      await admin.end();
    }
  });

  afterAll(async () => {
    await serve?.kill();
    const admin = await mariadbAdmin(mariadbServerUrl());
    try {
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.query(`DROP USER IF EXISTS '${user}'@'localhost'`);
    } finally {
      await admin.end();
    }
    await database?.drop();
  });

  it('from start-up to shutdown, with every secret set', async () => {
    const seeds = gridSeeds();
    const redisPassword = parseRedisUrl(seeds[0] ?? '').password;
    expect(redisPassword, 'the test grid runs with a password').toBeDefined();
    const gridSecret = `grid-${randomBytes(24).toString('hex')}`;
    const jwtSecret = `jwt-${randomBytes(24).toString('hex')}`;
    const server = new URL(mariadbServerUrl());
    const port = await findFreePortBase({ count: 1, cluster: false });
    serve = new ServeProcess({
      REDIS_URL: seeds.join(','),
      MARIADB_URL: `mariadb://${user}:${mariadbPassword}@${server.hostname}:${server.port || '3306'}/${database.name}`,
      GRID_SECRET: gridSecret,
      JWT_SECRETS: jwtSecret,
      GRID_KEY_PREFIX: testNamespace(),
      PORT: String(port),
      NODE_ID: `secrets-${port}`,
      PARTITIONS: '4',
      LOG_LEVEL: 'debug',
    });
    await serve.waitReady(port, 120_000);
    const connected = await serve.waitForLine(/^connected to the redis grid$/, 1_000);
    expect(connected['seeds']).toEqual(seeds.map((seed) => seed.replace(`:${redisPassword}@`, ':***@')));
    serve.signal('SIGTERM');
    expect(await serve.waitForExit(20_000), serve.tail()).not.toBeNull();

    const log = serve.log;
    for (const [name, secret] of Object.entries({ redisPassword, mariadbPassword, gridSecret, jwtSecret })) {
      expect(log.includes(secret ?? ''), `${name} appears in the log`).toBe(false);
    }
  });
});
