/**
 * The ports: everything the business logic needs from the outside world.
 * `adapters/aws` implements them on AWS SDK v3 clients, `adapters/local` on
 * the embedded stand-ins. Nothing else in shared/ knows which one it runs on.
 */
import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as in an HTTP/S3 `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Quoted hex MD5 for single-part puts, as S3 returns it. */
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  contentType?: string;
}

export type ObjectBody = Uint8Array | string | Readable;

export interface PutOptions {
  contentType?: string;
  /** User metadata (x-amz-meta-*): keys lower-case, values ASCII. */
  metadata?: Record<string, string>;
  /** Conditional write: fail with `PreconditionFailedError` when the key already exists. */
  ifNoneMatch?: '*';
  /** Conditional write: fail with `PreconditionFailedError` unless the current ETag matches (`NoSuchKeyError` when no object is there). */
  ifMatch?: string;
}

export interface ObjectStore {
  /** Writes the whole object atomically: readers see the old object or the new one, never a part. */
  put(bucket: string, key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }>;
  /** Uploads a local file (e.g. a Parquet file written to a temp dir). */
  putFile(bucket: string, key: string, path: string, options?: PutOptions): Promise<{ etag: string }>;
  /** Streams the object, or only `range` of it. Throws `NoSuchKeyError` when absent. */
  get(bucket: string, key: string, range?: ByteRange): Promise<Readable>;
  /** Returns undefined when the object does not exist. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Lists objects under a prefix in key order. */
  list(bucket: string, prefix: string): AsyncIterable<ObjectInfo>;
  copy(
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    options?: PutOptions,
  ): Promise<{ etag: string }>;
  delete(bucket: string, key: string): Promise<void>;
  /**
   * A short-lived URL that downloads the object without credentials (S3
   * presigned GET), saved under `fileName`. Absent where objects have no URL
   * (the local folders): callers then send the bytes themselves.
   */
  presignGet?(bucket: string, key: string, options: { expiresSeconds: number; fileName: string }): Promise<string>;
}

export interface QueueMessage {
  /** Unique within one `send` call (SQS batch entry id). */
  id: string;
  body: string;
}

export interface Queue {
  /** Sends messages, batching as the service allows; throws if any could not be sent after retries. */
  send(queueName: string, messages: QueueMessage[]): Promise<void>;
}

export interface LakeEvent<D = unknown> {
  source: string;
  detailType: string;
  detail: D;
}

export interface EventBus {
  /** Publishes events, batching as the service allows; throws if any could not be published after retries. */
  publish(events: LakeEvent[]): Promise<void>;
}

/** Glue's Column shape. */
export interface CatalogColumn {
  Name: string;
  Type: string;
  Comment?: string;
  Parameters?: Record<string, string>;
}

/** The subset of Glue's TableInput that Pulse Lake writes. */
export interface TableInput {
  Name: string;
  Description?: string;
  TableType: 'EXTERNAL_TABLE' | 'VIRTUAL_VIEW';
  Parameters: Record<string, string>;
  PartitionKeys: CatalogColumn[];
  StorageDescriptor: {
    Columns: CatalogColumn[];
    Location: string;
    InputFormat: string;
    OutputFormat: string;
    SerdeInfo: { SerializationLibrary: string; Parameters?: Record<string, string> };
    Compressed?: boolean;
  };
}

/** The subset of Glue's PartitionInput that Pulse Lake writes. */
export interface PartitionInput {
  Values: string[];
  StorageDescriptor: TableInput['StorageDescriptor'];
  Parameters?: Record<string, string>;
}

export interface CatalogTable extends TableInput {
  DatabaseName: string;
  UpdateTime?: string;
}

export interface Catalog {
  ensureDatabase(name: string, description?: string): Promise<void>;
  /** Creates the table, or updates it when it exists. */
  upsertTable(database: string, table: TableInput): Promise<void>;
  getTable(database: string, name: string): Promise<CatalogTable | undefined>;
  listTables(database: string): Promise<CatalogTable[]>;
  listDatabases(): Promise<string[]>;
  /** Adds partitions; ones that already exist are tolerated. Returns how many were new. */
  addPartitions(database: string, table: string, partitions: PartitionInput[]): Promise<{ created: number }>;
  listPartitions(database: string, table: string): Promise<PartitionInput[]>;
  /** Drops the table and its partitions from the catalog (never the data); a table that is not there is fine. */
  deleteTable(database: string, table: string): Promise<void>;
}

/** What asking a crawler to start did: it started, or a crawl was already under way. */
export type CrawlerStart = 'started' | 'already-running';

export interface Crawlers {
  /** Starts the named crawler; a crawl already running is not an error (`already-running`). */
  start(name: string): Promise<CrawlerStart>;
}

export type QueryParameter = string | number | boolean | null;

export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface QueryStatus {
  id: string;
  state: QueryState;
  /** Why the query failed, when it did. */
  reason?: string;
  submittedAt: Date;
  completedAt?: Date;
  bytesScanned?: number;
  /** Where the full result is stored as CSV (Athena's OutputLocation). */
  outputLocation?: string;
}

export interface QueryResultPage {
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
  nextToken?: string;
}

export interface StartQueryOptions {
  database?: string;
  /** Positional parameters bound to `?` placeholders by the engine, never spliced into the text. */
  parameters?: QueryParameter[];
}

export interface QueryEngine {
  /** The SQL dialect the engine speaks: named queries are rendered for it (query/dialect.ts). */
  readonly dialect: 'athena' | 'duckdb';
  start(sql: string, options?: StartQueryOptions): Promise<string>;
  status(id: string): Promise<QueryStatus>;
  /**
   * One page of at most `pageSize` rows (Athena pages hold at most 1,000). The first page starts with
   * the header row, as Athena's GetQueryResults does; query/run.ts dataRowsOfFirstPage drops it.
   */
  results(id: string, options?: { pageSize?: number; nextToken?: string }): Promise<QueryResultPage>;
}

export interface Clock {
  now(): Date;
}

/** Secret material used to pseudonymize identifiers. */
export interface KeyStore {
  /** The HMAC key for tokenizing identifiers; created on first use where the platform allows. */
  pseudonymizationKey(): Promise<Buffer>;
}

/** What the platform knows about a partner's key once its signature checks out (auth/partners.ts makes them). */
export interface PartnerKey {
  accessKeyId: string;
  /** The partner (or gateway) the key belongs to: the scope of every query it runs. */
  partnerId: string;
  secretAccessKey: string;
  /** Datasets the key may push to (ingest API); undefined: none. */
  datasets?: readonly string[];
  createdAt: string;
}

/** The keys partners and gateways sign requests with (see auth/partners.ts). */
export interface PartnerRegistry {
  /** The key with this access key id, or undefined when there is none. */
  find(accessKeyId: string): Promise<PartnerKey | undefined>;
}

/** Secrets that configuration names but never holds (connector credentials): SSM SecureStrings on AWS, a 0600 file locally. */
export interface SecretStore {
  /** The secret's value; throws SecretNotFoundError (naming the secret, never a value) when there is none. */
  get(name: string): Promise<string>;
}

/** No secret is stored under this name. */
export class SecretNotFoundError extends Error {
  override name = 'SecretNotFoundError';
  constructor(
    readonly secretName: string,
    where: string,
  ) {
    super(`no secret named ${secretName} in ${where}`);
  }
}

export const systemClock: Clock = { now: () => new Date() };

/** The object does not exist (S3 `NoSuchKey`). */
export class NoSuchKeyError extends Error {
  override name = 'NoSuchKeyError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`no object at s3://${bucket}/${key}`, options);
  }
}

/** A conditional write lost (S3 `PreconditionFailed` / `ConditionalRequestConflict`). */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`conditional write to s3://${bucket}/${key} did not hold`, options);
  }
}

export type Zone = 'dropzone' | 'raw' | 'curated' | 'rejects' | 'query-results';

/** Every AWS resource name the lake uses, derived from the stage alone (lake/names.ts derives them). */
export interface LakeNames {
  stage: string;
  buckets: Record<Zone, string>;
  /** telemetryStreamDlq: the telemetry stream's on-failure destination (stream batches given up on). */
  queues: { normalize: string; normalizeDlq: string; telemetryStreamDlq: string };
  databases: { curated: string; staging: string };
  /** Glue crawlers: `staging` discovers sources without a contract under the curated bucket's `staging/` prefix. */
  crawlers: { staging: string };
  /** DynamoDB tables: devices write their readings to `telemetry`, whose stream feeds the lake. */
  tables: { telemetry: string };
  /** EventBridge `source` of the lake's own events. */
  eventSource: string;
}

/**
 * Everything a handler may need, composed once per function (AWS) or once per process (local).
 * The connector files are not here: the functions that run connectors take a `ConnectorSource`
 * (connectors/connector-files.ts) beside these, since their shape belongs to the connectors.
 */
export interface LakeDeps {
  store: ObjectStore;
  queue: Queue;
  bus: EventBus;
  catalog: Catalog;
  crawlers: Crawlers;
  engine: QueryEngine;
  keys: KeyStore;
  partners: PartnerRegistry;
  /** Credentials of the third-party sources the connectors pull from. */
  secrets: SecretStore;
  clock: Clock;
  names: LakeNames;
  /** The region the lake runs in: requests to its APIs are signed for it. */
  region: string;
}
