/**
 * The AWS Glue Data Catalog as `aws-sdk-client-mock` plays it for the contract
 * suites: databases, tables and partitions in memory, answering as the Glue API
 * reference documents (names lower-cased, AlreadyExistsException on a second
 * create, EntityNotFoundException for a database or table that is not there,
 * BatchCreatePartition reporting existing or malformed partitions entry by entry,
 * NextToken paging), and StartCrawler answering CrawlerRunningException while a
 * crawl is under way.
 */
import {
  AlreadyExistsException,
  BatchCreatePartitionCommand,
  CrawlerRunningException,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteTableCommand,
  EntityNotFoundException,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  StartCrawlerCommand,
  UpdateTableCommand,
  type Partition,
  type PartitionError,
  type Table,
  type TableInput,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';

const notFound = (what: string) => new EntityNotFoundException({ message: `${what} not found`, $metadata: {} });
const exists = (what: string) => new AlreadyExistsException({ message: `${what} already exists`, $metadata: {} });

/** One page of `items` from `token` (an index), Glue-style: NextToken only while more follow. */
function page<T>(items: T[], token: string | undefined, size: number): { items: T[]; NextToken?: string } {
  const from = Number(token ?? '0');
  return {
    items: items.slice(from, from + size),
    ...(from + size < items.length ? { NextToken: String(from + size) } : {}),
  };
}

/**
 * Mocks every GlueClient of this test file. Listings answer `pageSize` items a page;
 * crawlers named in `crawlers` exist, and a crawl started stays running.
 */
export function fakeGlue(options: { pageSize?: number; crawlers?: string[] } = {}): GlueClient {
  const mock = mockClient(GlueClient);
  const size = options.pageSize ?? 100;
  const databases = new Map<string, { Name: string; Description?: string }>();
  const tables = new Map<string, Map<string, { table: Table; partitions: Partition[] }>>();
  const crawling = new Set<string>();
  const crawlers = new Set(options.crawlers ?? []);

  const databaseTables = (name: string | undefined) => {
    const found = tables.get((name ?? '').toLowerCase());
    if (found === undefined) throw notFound(`Database ${name}`);
    return found;
  };
  const entry = (database: string | undefined, name: string | undefined) => {
    const found = databaseTables(database).get((name ?? '').toLowerCase());
    if (found === undefined) throw notFound(`Table ${name}`);
    return found;
  };
  const asTable = (database: string, input: TableInput | undefined): Table => ({
    ...structuredClone(input),
    Name: (input?.Name ?? '').toLowerCase(),
    DatabaseName: database,
    UpdateTime: new Date(),
  });

  mock.on(CreateDatabaseCommand).callsFake(async (input) => {
    const name = (input.DatabaseInput?.Name ?? '').toLowerCase();
    if (databases.has(name)) throw exists(`Database ${name}`);
    databases.set(name, {
      Name: name,
      ...(input.DatabaseInput?.Description ? { Description: input.DatabaseInput.Description } : {}),
    });
    tables.set(name, new Map());
    return {};
  });
  mock.on(GetDatabasesCommand).callsFake(async (input) => {
    const { items, NextToken } = page([...databases.values()], input.NextToken, size);
    return { DatabaseList: items, ...(NextToken !== undefined ? { NextToken } : {}) };
  });
  mock.on(CreateTableCommand).callsFake(async (input) => {
    const database = (input.DatabaseName ?? '').toLowerCase();
    const inDatabase = databaseTables(database);
    const table = asTable(database, input.TableInput);
    if (inDatabase.has(table.Name ?? '')) throw exists(`Table ${table.Name}`);
    inDatabase.set(table.Name ?? '', { table, partitions: [] });
    return {};
  });
  mock.on(UpdateTableCommand).callsFake(async (input) => {
    const found = entry(input.DatabaseName, input.TableInput?.Name);
    found.table = asTable((input.DatabaseName ?? '').toLowerCase(), input.TableInput);
    return {};
  });
  mock.on(GetTableCommand).callsFake(async (input) => ({
    Table: structuredClone(entry(input.DatabaseName, input.Name).table),
  }));
  mock.on(GetTablesCommand).callsFake(async (input) => {
    const all = [...databaseTables(input.DatabaseName).values()].map((t) => structuredClone(t.table));
    const { items, NextToken } = page(all, input.NextToken, size);
    return { TableList: items, ...(NextToken !== undefined ? { NextToken } : {}) };
  });
  mock.on(DeleteTableCommand).callsFake(async (input) => {
    entry(input.DatabaseName, input.Name);
    databaseTables(input.DatabaseName).delete((input.Name ?? '').toLowerCase());
    return {};
  });
  mock.on(BatchCreatePartitionCommand).callsFake(async (input) => {
    const found = entry(input.DatabaseName, input.TableName);
    const width = found.table.PartitionKeys?.length ?? 0;
    const errors: PartitionError[] = [];
    for (const partition of input.PartitionInputList ?? []) {
      const values = partition.Values ?? [];
      const code =
        values.length !== width
          ? 'InvalidInputException'
          : found.partitions.some((p) => JSON.stringify(p.Values) === JSON.stringify(values))
            ? 'AlreadyExistsException'
            : undefined;
      if (code !== undefined) {
        errors.push({ PartitionValues: values, ErrorDetail: { ErrorCode: code, ErrorMessage: code } });
        continue;
      }
      found.partitions.push({
        ...structuredClone(partition),
        DatabaseName: input.DatabaseName,
        TableName: input.TableName,
      });
    }
    return { Errors: errors };
  });
  mock.on(GetPartitionsCommand).callsFake(async (input) => {
    const { items, NextToken } = page(entry(input.DatabaseName, input.TableName).partitions, input.NextToken, size);
    return { Partitions: structuredClone(items), ...(NextToken !== undefined ? { NextToken } : {}) };
  });
  mock.on(StartCrawlerCommand).callsFake(async (input) => {
    const name = input.Name ?? '';
    if (!crawlers.has(name)) throw notFound(`Crawler ${name}`);
    if (crawling.has(name))
      throw new CrawlerRunningException({ message: `Crawler with name ${name} is running`, $metadata: {} });
    crawling.add(name);
    return {};
  });

  return new GlueClient({
    region: 'ap-southeast-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
  });
}
