/**
 * How a database connector talks to PostgreSQL: one read-only session per run
 * (`default_transaction_read_only` is set in the startup packet, before any
 * statement), a server-side statement timeout, UTC and ISO dates so cursor
 * values compare exactly, TLS as the file asks, and the password read from a
 * secret at connect time. Every value comes back as the text PostgreSQL
 * sends, so timestamps keep their microseconds and numerics their digits.
 * Errors are rewritten into words an operator can act on, with no row value.
 */
import pg from 'pg';
import type { SecretStore } from '../ports';
import type { DatabaseConnectorConfig } from './database-config';

/** The database refused, failed or was unreachable; the message names what to check, never a value or a password. */
export class DatabaseConnectorError extends Error {
  override name = 'DatabaseConnectorError';
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Quotes an identifier (already checked to be a plain one) so case is kept. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Every type parsed as its text: exact, and the same bytes every run (landed objects dedupe by content). */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

async function tlsOptions(config: DatabaseConnectorConfig, secrets: SecretStore): Promise<pg.ClientConfig['ssl']> {
  const tls = config.connection.tls;
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    servername: config.connection.host,
    ...(tls.caSecret !== undefined ? { ca: await secrets.get(tls.caSecret) } : {}),
  };
}

/** Translates a driver or server error into a DatabaseConnectorError naming the connector and `what` it was doing. */
export function explainDatabaseError(config: DatabaseConnectorConfig, what: string, error: unknown): Error {
  if (error instanceof DatabaseConnectorError) return error;
  const { host, port, database, user, passwordSecret } = config.connection;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : '';
  const at = `connector ${config.name}: ${what}`;
  const wrap = (text: string) =>
    new DatabaseConnectorError(`${at}: ${text}`, typeof code === 'string' ? code : undefined, { cause: error });
  switch (code) {
    case '28P01':
    case '28000':
      return wrap(
        `the database refused user ${user} (wrong or expired password, or no pg_hba.conf entry): check the secret ${passwordSecret} and the role's VALID UNTIL`,
      );
    case '3D000':
      return wrap(`database ${database} does not exist on ${host}:${port}`);
    case '57014':
      return wrap(
        `the statement ran longer than limits.statementTimeoutSeconds (${config.limits.statementTimeoutSeconds} s) and was cancelled; lower pageSize or add an index on the cursor`,
      );
    case '57P01':
    case '57P02':
    case '57P03':
      return wrap(
        'the server closed the connection (shut down or terminated); the next run resumes from the last landed page',
      );
    case '25006':
      return wrap('the statement tried to write: database connectors only read');
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return wrap(`cannot reach ${host}:${port} (${code}): check the host, the port and the network path`);
    case 'ECONNRESET':
    case 'EPIPE':
      return wrap('the connection to the database was lost; the next run resumes from the last landed page');
  }
  if (/Connection terminated|connection timeout|timeout expired/i.test(message))
    return wrap(
      /timeout/i.test(message)
        ? `no answer from ${host}:${port} within limits.connectTimeoutSeconds`
        : 'the connection to the database was lost; the next run resumes from the last landed page',
    );
  // Errors of class 42 (a missing table or column, a privilege) name objects, not values: they are shown.
  if (typeof code === 'string' && code.startsWith('42')) return wrap(`${message} (SQLSTATE ${code})`);
  if (/self[- ]signed|certificate|SSL|TLS/i.test(message))
    return wrap(`TLS failed (${message}); check connection.tls and the server's certificate`);
  return wrap(
    typeof code === 'string'
      ? `the database answered SQLSTATE ${code}`
      : `unexpected ${error instanceof Error ? error.name : 'non-error'}`,
  );
}

/** A connected client; `lost` holds the error that ended the connection while it was idle, if any. */
export interface PostgresSession {
  client: pg.Client;
  query<R extends Record<string, string | null>>(sql: string, params: unknown[], what: string): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * Opens the connector's read-only session (CDC reads its slot through the
 * replication functions, which a read-only session of a REPLICATION role may call).
 */
export async function openPostgresSession(
  config: DatabaseConnectorConfig,
  secrets: SecretStore,
): Promise<PostgresSession> {
  const { host, port, database, user, passwordSecret } = config.connection;
  const settings = [
    'default_transaction_read_only=on',
    `statement_timeout=${config.limits.statementTimeoutSeconds * 1000}`,
    'TimeZone=UTC',
    'DateStyle=ISO',
  ];
  const client = new pg.Client({
    host,
    port,
    database,
    user,
    password: await secrets.get(passwordSecret),
    ssl: await tlsOptions(config, secrets),
    application_name: `pulse-lake/${config.name}`,
    connectionTimeoutMillis: config.limits.connectTimeoutSeconds * 1000,
    options: settings.map((s) => `-c ${s}`).join(' '),
    types: TEXT_TYPES,
  });
  let lost: unknown;
  // A connection dropped between statements is reported by the next statement, not as an unhandled event.
  client.on('error', (error) => {
    lost = error;
  });
  try {
    await client.connect();
  } catch (error) {
    throw explainDatabaseError(config, `connecting to ${host}:${port}/${database}`, error);
  }
  return {
    client,
    async query<R extends Record<string, string | null>>(sql: string, params: unknown[], what: string) {
      if (lost !== undefined) throw explainDatabaseError(config, what, lost);
      try {
        return (await client.query<R>(sql, params)).rows;
      } catch (error) {
        throw explainDatabaseError(config, what, lost ?? error);
      }
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
