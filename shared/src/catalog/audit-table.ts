/**
 * The audit trail of the partner APIs as a table: one JSON object per request
 * under `s3://<curated bucket>/_audit/api_requests/dt=<YYYY-MM-DD>/`, read
 * through a catalog table whose `dt` partitions are projected (Athena needs no
 * partition registration; the local engine reads the folder). Internal only:
 * no named query can read it (it is not a dataset contract).
 */
import { s3Uri } from '../lake/keys';
import type { CatalogColumn, LakeNames, TableInput } from '../ports';

export const AUDIT_TABLE = 'api_requests';
export const AUDIT_PREFIX = `_audit/${AUDIT_TABLE}/`;

/** The columns of an audit record, in the order a record is written. */
export const AUDIT_COLUMNS: readonly CatalogColumn[] = [
  { Name: 'requested_at', Type: 'string', Comment: 'When the request was answered (ISO 8601, UTC)' },
  { Name: 'request_id', Type: 'string', Comment: 'API Gateway request id' },
  {
    Name: 'partner_id',
    Type: 'string',
    Comment: 'Partner whose key signed the request; empty when the signature was refused',
  },
  { Name: 'access_key_id', Type: 'string', Comment: 'Access key id the request claimed (never a secret)' },
  { Name: 'method', Type: 'string', Comment: 'HTTP method' },
  { Name: 'route', Type: 'string', Comment: 'Route template, e.g. /v1/queries/{name}/executions' },
  { Name: 'status', Type: 'int', Comment: 'HTTP status answered' },
  {
    Name: 'outcome',
    Type: 'string',
    Comment: 'ok, or the error code answered (signature_mismatch, invalid_parameters, ...)',
  },
  { Name: 'query', Type: 'string', Comment: 'Named query, when the request ran or read one' },
  { Name: 'query_version', Type: 'int', Comment: 'Its version' },
  {
    Name: 'subject_id',
    Type: 'string',
    Comment: 'What the request started or read: a query execution id, or a pushed batch id',
  },
  { Name: 'dataset', Type: 'string', Comment: 'Dataset a batch was pushed to' },
  { Name: 'parameters', Type: 'string', Comment: 'The validated parameters as JSON (never the raw request)' },
  { Name: 'rows_returned', Type: 'int', Comment: 'Result rows sent in the response, or records received in a push' },
  { Name: 'duration_ms', Type: 'int', Comment: 'Time spent answering' },
];

export function auditDatabase(names: LakeNames): string {
  return `${names.databases.curated.replace(/_curated$/, '')}_audit`;
}

/** The Glue TableInput of the audit trail (JSON, dt projected by date). */
export function auditTableInput(names: LakeNames): TableInput {
  const location = s3Uri(names.buckets.curated, AUDIT_PREFIX);
  return {
    Name: AUDIT_TABLE,
    Description:
      'Every request to the partner APIs (query and push): who, what, with which parameters, how many rows, and the outcome.',
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      classification: 'json',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-01-01,NOW',
      'storage.location.template': `${location}dt=\${dt}/`,
    },
    PartitionKeys: [{ Name: 'dt', Type: 'string', Comment: 'Day the request arrived (UTC), YYYY-MM-DD' }],
    StorageDescriptor: {
      Columns: AUDIT_COLUMNS.map((c) => ({ ...c })),
      Location: location,
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
    },
  };
}
