/**
 * Every request to the partner APIs (query and push) is audited: who (the partner whose key
 * signed it, or the key id a refused request claimed), what (route, named
 * query, validated parameters, execution), how many rows went out, and the
 * outcome. One JSON object per request lands in the lake's audit table
 * (catalog/audit-table.ts). Auditing fails closed: a response that could not
 * be audited is not sent.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { Partner } from '../auth/signed-requests';
import { type AUDIT_COLUMNS, AUDIT_PREFIX, auditDatabase, auditTableInput } from '../catalog/audit-table';
import { tableDiffers } from '../catalog/register-partitions';
import type { LakeDeps, QueryParameter } from '../ports';
import { functionLogger, type Logger } from './logger';

/** What a handler adds to its request's audit record. */
export interface AuditNote {
  query?: string;
  dataset?: string;
  version?: number;
  /** The query execution, or pushed batch, the request started or read. */
  subjectId?: string;
  parameters?: Record<string, QueryParameter>;
  rows?: number;
}

type AuditedContext = Context & { partner?: Partner; audit?: AuditNote; auditStartedAt?: number };

/** Adds to the audit record of the request being handled. */
export function noteAudit(context: Context, note: AuditNote): void {
  const audited = context as AuditedContext;
  audited.audit = { ...audited.audit, ...note };
}

export type AuditRecord = Record<(typeof AUDIT_COLUMNS)[number]['Name'], string | number | null>;

/** The access key id a request claims in its Authorization header: a name, never a secret. */
function claimedKeyId(event: APIGatewayProxyEvent): string | null {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = header === undefined ? null : /Credential=([A-Z0-9]{16,128})\//.exec(header);
  return match?.[1] ?? null;
}

function outcomeOf(response: APIGatewayProxyResult | undefined): { status: number; outcome: string } {
  if (response === undefined) return { status: 500, outcome: 'internal_error' };
  if (response.statusCode < 400) return { status: response.statusCode, outcome: 'ok' };
  try {
    const code = (JSON.parse(response.body) as { code?: unknown }).code;
    return { status: response.statusCode, outcome: typeof code === 'string' ? code : 'error' };
  } catch {
    return { status: response.statusCode, outcome: 'error' };
  }
}

/**
 * The audit middleware. Use it first, before httpErrorResponses and
 * signedRequests, so it sees every response, refusals included.
 */
export function auditRequests(
  deps: Pick<LakeDeps, 'store' | 'catalog' | 'names' | 'clock'>,
  logger: Logger = functionLogger(),
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  let tableReady: Promise<void> | undefined;
  const ensureTable = () => {
    tableReady ??= (async () => {
      const database = auditDatabase(deps.names);
      const desired = auditTableInput(deps.names);
      // Only when missing or drifted: Glue keeps a version per update, and every catalog change rebuilds the local engine's views.
      if (!tableDiffers(await deps.catalog.getTable(database, desired.Name), desired)) return;
      await deps.catalog.ensureDatabase(database, 'Pulse Lake audit trails (internal)');
      await deps.catalog.upsertTable(database, desired);
    })().catch((error: unknown) => {
      tableReady = undefined;
      throw error;
    });
    return tableReady;
  };

  async function write(
    event: APIGatewayProxyEvent,
    context: AuditedContext,
    response: APIGatewayProxyResult | undefined,
  ): Promise<void> {
    const now = deps.clock.now();
    const note = context.audit ?? {};
    const requestId = event.requestContext?.requestId || randomUUID();
    const record: AuditRecord = {
      requested_at: now.toISOString(),
      request_id: requestId,
      partner_id: context.partner?.partnerId ?? null,
      access_key_id: context.partner?.accessKeyId ?? claimedKeyId(event),
      method: event.httpMethod,
      route: event.resource,
      ...outcomeOf(response),
      query: note.query ?? null,
      query_version: note.version ?? null,
      subject_id: note.subjectId ?? null,
      dataset: note.dataset ?? null,
      parameters: note.parameters !== undefined ? JSON.stringify(note.parameters) : null,
      rows_returned: note.rows ?? null,
      duration_ms: context.auditStartedAt !== undefined ? Date.now() - context.auditStartedAt : null,
    };
    const key = `${AUDIT_PREFIX}dt=${now.toISOString().slice(0, 10)}/${requestId.replace(/[^A-Za-z0-9-]/g, '_')}.json`;
    await deps.store.put(deps.names.buckets.curated, key, `${JSON.stringify(record)}\n`, {
      contentType: 'application/json',
    });
    // After the first record, so a reader that builds its view when the table appears finds a file to read.
    await ensureTable();
  }

  return {
    name: 'auditRequests',
    before: (request) => {
      (request.context as AuditedContext).auditStartedAt = Date.now();
    },
    after: async (request) => {
      await write(request.event, request.context as AuditedContext, request.response ?? undefined);
    },
    onError: async (request) => {
      try {
        await write(request.event, request.context as AuditedContext, request.response ?? undefined);
      } catch (error) {
        // The response is an error already; the failure to audit it goes to the logs.
        logger.error('could not audit a refused request', {
          error: error instanceof Error ? error.name : 'non-error thrown',
        });
      }
    },
  };
}
