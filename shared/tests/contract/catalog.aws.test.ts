/** The Catalog contract on the Glue adapter, over the fake Glue of fakes/glue.ts (catalog.contract.ts). */
import { buildGlueCatalog } from '../../src/adapters/aws/glue-catalog';
import { catalogContract } from './catalog.contract';
import { fakeGlue } from './fakes/glue';

describe('Catalog contract: Glue', () => {
  // One item a page, so every listing follows NextToken.
  catalogContract(async () => buildGlueCatalog(fakeGlue({ pageSize: 1 })));
});
