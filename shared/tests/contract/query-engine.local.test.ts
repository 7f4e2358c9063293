/** The QueryEngine contract on DuckDB over a temp LAKE_HOME (query-engine.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalCatalog } from '../../src/adapters/local/catalog';
import { buildLocalObjectStore } from '../../src/adapters/local/object-store';
import { buildLocalQueryEngine, type LocalQueryEngine } from '../../src/adapters/local/query-engine';
import { lakeNames } from '../../src/lake/names';
import { queryEngineContract } from './query-engine.contract';

describe('QueryEngine contract: DuckDB', () => {
  const homes: string[] = [];
  const engines: LocalQueryEngine[] = [];
  afterAll(async () => {
    for (const engine of engines) await engine.close();
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  queryEngineContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-engine-'));
    homes.push(home);
    const engine = buildLocalQueryEngine({
      home,
      store: buildLocalObjectStore(home),
      catalog: buildLocalCatalog(home),
      names: lakeNames('test'),
    });
    engines.push(engine);
    return engine;
  });
});
