/** The local lake's stand-ins opened for one command, without running any service (status, dlq, sql, ...). */
import { buildLocalLake } from '@pulse-lake/shared/adapters/local/index';
import type { ResultSet } from '@pulse-lake/shared/query/format';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { LOCAL_STAGE, lakeHome } from './environment';
import type { CliIo } from './io';
import { errorText } from './io';

/** Opens the stand-ins under LAKE_HOME, hands them to `use`, and closes them whatever happens. */
export async function withLake<T>(io: CliIo, use: (lake: ReturnType<typeof buildLocalLake>) => Promise<T>): Promise<T> {
  const lake = buildLocalLake(lakeHome(io), {
    stage: LOCAL_STAGE,
    onError: (component, error) => io.stderr(`[lake ${component}] ${errorText(error)}\n`),
  });
  try {
    return await use(lake);
  } finally {
    await lake.close();
  }
}

/** Runs SQL against the curated tables through the local query engine, parameters bound. */
export async function runSql(
  io: CliIo,
  text: string,
  parameters: (string | number | boolean | null)[],
): Promise<ResultSet> {
  return withLake(io, (lake) =>
    runToCompletion(lake.engine, text, { database: lake.names.databases.curated, parameters }),
  );
}
