// One piece on purpose: the OpenAPI document is one description, read top to bottom as partners read it.
/**
 * The OpenAPI 3.1 description of the partner query API, built from the named
 * query basket (one place per fact: each query's parameters and columns come
 * from its definition). Served at GET /v1/openapi.json; a test holds it to the
 * routes the service declares and to the responses the handlers give.
 */
import type { NamedQuery, ResultColumn } from './named-query';
import type { ParameterSpec } from './parameters';
import { NAMED_QUERIES } from './named-queries';
import { MAX_PAGE_SIZE } from './executions';

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });

function parameterSchema(spec: ParameterSpec): Schema {
  const common = { description: spec.description, ...(spec.default !== undefined ? { default: spec.default } : {}) };
  switch (spec.type) {
    case 'date':
      return { type: 'string', format: 'date', ...common };
    case 'integer':
    case 'number':
      // Values are accepted as JSON numbers or as text (they arrive as text from query strings and CLIs).
      return {
        type: [spec.type, 'string'],
        ...(spec.min !== undefined ? { minimum: spec.min } : {}),
        ...(spec.max !== undefined ? { maximum: spec.max } : {}),
        ...common,
      };
    case 'string':
      return {
        type: 'string',
        ...(spec.allowed !== undefined ? { enum: [...spec.allowed] } : {}),
        ...(spec.pattern !== undefined ? { pattern: `^(?:${spec.pattern})$` } : {}),
        ...(spec.maxLength !== undefined ? { maxLength: spec.maxLength } : {}),
        ...common,
      };
  }
}

const RESULT_TYPES: Record<ResultColumn['type'], Schema> = {
  varchar: { type: ['string', 'null'] },
  bigint: { type: ['integer', 'null'] },
  double: { type: ['number', 'null'] },
  date: { type: ['string', 'null'], format: 'date' },
  timestamp: { type: ['string', 'null'] },
  boolean: { type: ['boolean', 'null'] },
};

function querySchemas(query: NamedQuery): Record<string, Schema> {
  const id = query.name;
  return {
    [`${id}_parameters`]: {
      type: 'object',
      description: query.problem,
      additionalProperties: false,
      properties: Object.fromEntries(query.parameters.map((p) => [p.name, parameterSchema(p)])),
      required: query.parameters.filter((p) => p.required === true).map((p) => p.name),
    },
    [`${id}_row`]: {
      type: 'array',
      description: `A result row of ${id}, values in column order: ${query.columns.map((c) => c.name).join(', ')}`,
      prefixItems: query.columns.map((c) => ({ ...RESULT_TYPES[c.type], description: c.description })),
      items: false,
    },
  };
}

const ERROR: Schema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: {
      type: 'string',
      description:
        'What went wrong, for programs: missing_authorization, clock_skew, signature_mismatch, invalid_parameters, unknown_query, not_ready, ...',
    },
    message: { type: 'string', description: 'What went wrong and what to do, for people' },
    details: { type: 'object', description: 'For invalid_parameters: {"problems": [...]}, every problem at once' },
  },
};

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      {
        description:
          { 400: 'Bad request', 403: 'Refused signature', 404: 'Not found', 409: 'Not ready' }[status] ?? 'Error',
        content: json(ref('Error')),
      },
    ]),
  );

/** The OpenAPI 3.1 document for `queries` (default: the basket). */
export function queryApiDocument(queries: readonly NamedQuery[] = NAMED_QUERIES, region = 'ap-southeast-1'): Schema {
  const names = [...new Set(queries.map((q) => q.name))];
  const executionId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse Lake partner query API',
      version: '1',
      description:
        "Named queries over the partner's own patients, de-identified. Every /v1 request is signed with AWS Signature Version 4 " +
        `(AWS4-HMAC-SHA256, service execute-api, region ${region}) with a partner key; signatures older or newer than 5 minutes are refused.`,
    },
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: `AWS Signature Version 4: curl --aws-sigv4 "aws:amz:${region}:execute-api" --user KEY:SECRET, or any AWS SDK signer`,
        },
      },
      schemas: {
        Error: ERROR,
        NamedQuery: {
          type: 'object',
          required: ['name', 'version', 'title', 'problem', 'parameters', 'columns'],
          properties: {
            name: { type: 'string' },
            version: { type: 'integer' },
            title: { type: 'string' },
            problem: { type: 'string' },
            parameters: { type: 'array', items: { type: 'object', required: ['name', 'type', 'description'] } },
            columns: { type: 'array', items: { type: 'object', required: ['name', 'type', 'description'] } },
            suppressedBelowThreshold: {
              type: 'array',
              items: { type: 'string' },
              description: 'Columns counting patients: cells under the small-cell threshold come back empty',
            },
          },
        },
        ExecutionStarted: {
          type: 'object',
          required: ['executionId', 'query', 'version', 'status', 'reused', 'links'],
          properties: {
            executionId: { type: 'string', format: 'uuid' },
            query: { type: 'string' },
            version: { type: 'integer' },
            status: { const: 'QUEUED' },
            reused: { type: 'boolean', description: 'An identical request ran recently: its result is reused' },
            links: {
              type: 'object',
              required: ['status', 'results'],
              properties: { status: { type: 'string' }, results: { type: 'string' } },
            },
          },
        },
        ExecutionStatus: {
          type: 'object',
          required: ['executionId', 'query', 'version', 'parameters', 'status', 'submittedAt', 'reused'],
          properties: {
            executionId: { type: 'string', format: 'uuid' },
            query: { type: 'string' },
            version: { type: 'integer' },
            parameters: { type: 'object', description: 'The validated parameters, defaults included' },
            status: { enum: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] },
            submittedAt: { type: 'string', format: 'date-time' },
            completedAt: { type: 'string', format: 'date-time' },
            durationMs: { type: 'integer' },
            bytesScanned: { type: 'integer' },
            reused: { type: 'boolean' },
            error: { type: 'string' },
          },
        },
        ResultsPage: {
          type: 'object',
          required: ['executionId', 'columns', 'rows', 'suppressed'],
          properties: {
            executionId: { type: 'string', format: 'uuid' },
            columns: { type: 'array', items: { type: 'object', required: ['name', 'type', 'description'] } },
            rows: {
              type: 'array',
              items: { type: 'array' },
              description: 'Rows as arrays in column order; see <query>_row for each query',
            },
            suppressed: {
              type: 'array',
              items: {
                type: 'object',
                required: ['row', 'column'],
                properties: { row: { type: 'integer' }, column: { type: 'string' } },
              },
            },
            nextPageToken: { type: 'string' },
          },
        },
        DownloadLink: {
          type: 'object',
          description: 'On AWS, ?format=csv|xlsx answers with a short-lived link to the file instead of the file',
          required: ['downloadUrl', 'expiresAt', 'fileName', 'contentType', 'rows'],
          properties: {
            downloadUrl: { type: 'string', format: 'uri' },
            expiresAt: { type: 'string', format: 'date-time' },
            fileName: { type: 'string' },
            contentType: { type: 'string' },
            rows: { type: 'integer' },
          },
        },
        ...Object.assign({}, ...queries.map(querySchemas)),
      },
    },
    security: [{ sigv4: [] }],
    paths: {
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness (unsigned)',
          security: [],
          responses: {
            '200': {
              description: 'Up',
              content: json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }),
            },
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, ...errors(403) },
        },
      },
      '/v1/queries': {
        get: {
          operationId: 'listQueries',
          summary: 'The named queries, with their problem statements, parameters and result columns',
          responses: {
            '200': {
              description: 'The basket',
              content: json({
                type: 'object',
                required: ['queries'],
                properties: { queries: { type: 'array', items: ref('NamedQuery') } },
              }),
            },
            ...errors(403),
          },
        },
      },
      '/v1/queries/{name}/executions': {
        post: {
          operationId: 'startExecution',
          summary: 'Start a named query over your patients',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { enum: names } }],
          requestBody: {
            required: false,
            content: json({
              type: 'object',
              properties: {
                parameters: {
                  type: 'object',
                  description: "The query's parameters by name; see <query>_parameters",
                  oneOf: queries.map((q) => ref(`${q.name}_parameters`)),
                },
                version: {
                  type: 'integer',
                  minimum: 1,
                  description: 'A version of the query still served (default: the latest)',
                },
              },
            }),
          },
          responses: {
            '202': {
              description: 'Started (or an identical recent one reused)',
              content: json(ref('ExecutionStarted')),
            },
            ...errors(400, 403, 404),
          },
        },
      },
      '/v1/executions/{id}': {
        get: {
          operationId: 'getExecution',
          summary: 'Where your execution stands, its timings and the bytes scanned',
          parameters: [executionId],
          responses: { '200': { description: 'Status', content: json(ref('ExecutionStatus')) }, ...errors(403, 404) },
        },
      },
      '/v1/executions/{id}/results': {
        get: {
          operationId: 'getResults',
          summary: 'The result in JSON pages, or the whole of it as CSV or Excel',
          parameters: [
            executionId,
            {
              name: 'pageSize',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: MAX_PAGE_SIZE },
            },
            {
              name: 'pageToken',
              in: 'query',
              schema: { type: 'string' },
              description: 'nextPageToken of the page before',
            },
            { name: 'format', in: 'query', schema: { enum: ['json', 'csv', 'xlsx'], default: 'json' } },
          ],
          responses: {
            '200': {
              description:
                'A page (json), or the whole result as a file (csv, xlsx; locally) or a link to it (on AWS); suppressed cells are empty',
              content: {
                ...json({ oneOf: [ref('ResultsPage'), ref('DownloadLink')] }),
                'text/csv': { schema: { type: 'string' } },
                'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
                  schema: { type: 'string', contentEncoding: 'base64' },
                },
              },
            },
            ...errors(400, 403, 404, 409),
          },
        },
      },
    },
  };
}
