/**
 * A connector reads one or more streams (a REST endpoint; one FHIR search per
 * resource type). A stream turns a page position into a request, and the
 * response into rows for the contracts, the page's latest change datetime and
 * the next position: cursor, offset, page number, Link header or Bundle link.
 */
import type { FhirConnectorConfig, HttpConnectorConfig, FhirResource, RestConnectorConfig } from './config';
import { FHIR_RESOURCES } from './config';
import {
  administrationsToDosage,
  completeWithPreviousPage,
  latestUpdate,
  observationCodeFilter,
  observationsToVitals,
  readSearchBundle,
} from './fhir';
import type { ConnectorSession } from './http';
import { ConnectorHttpError } from './http';
import type { PagePosition } from './state';

export interface PageRead {
  /** Rows per dataset, with contract column names, to land as one raw object each. */
  landings: { dataset: string; rows: Record<string, unknown>[] }[];
  /** Source records on the page (mapped or not). */
  read: number;
  /** The latest change datetime on the page (ISO 8601 UTC). */
  highWater?: string;
  /** Undefined on the last page. */
  next?: PagePosition;
}

export interface Stream {
  /** The key of its state in ConnectorState.streams. */
  name: string;
  /** Reads the page at `position` (undefined: the first) of the changes since `since`. `what` names it in errors. */
  readPage(
    session: ConnectorSession,
    since: string,
    position: PagePosition | undefined,
    what: string,
  ): Promise<PageRead>;
}

/** The value at a dotted path (`patient.mrn`, `items.0.id`); the whole value for an empty path. */
export function valueAt(value: unknown, path: string): unknown {
  let at = value;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (Array.isArray(at) && /^\d+$/.test(part)) at = at[Number(part)];
    else if (typeof at === 'object' && at !== null && !Array.isArray(at)) at = (at as Record<string, unknown>)[part];
    else return undefined;
  }
  return at;
}

/** The `rel="next"` target of an RFC 8288 Link header, resolved against the request URL. */
export function nextLink(header: string | null, base: URL): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match === null) continue;
    const rels =
      /;\s*rel\s*=\s*"?([^";]+)"?/i
        .exec(match[2] ?? '')?.[1]
        ?.toLowerCase()
        .split(/\s+/) ?? [];
    if (rels.includes('next')) return new URL(match[1] ?? '', base).toString();
  }
  return undefined;
}

function latest(values: readonly unknown[]): string | undefined {
  let max: number | undefined;
  for (const v of values) {
    const at = typeof v === 'string' || typeof v === 'number' ? new Date(v).getTime() : NaN;
    if (!Number.isNaN(at) && (max === undefined || at > max)) max = at;
  }
  return max === undefined ? undefined : new Date(max).toISOString();
}

/** A source record as contract columns: only scalar values are taken; a missing one is left for the normalizer to judge. */
export function mapRecord(record: unknown, mapping: RestConnectorConfig['mapping']): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [column, source] of Object.entries(mapping)) {
    const value = typeof source === 'string' ? valueAt(record, source) : source.const;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') row[column] = value;
  }
  return row;
}

export function restStream(config: RestConnectorConfig): Stream {
  const pagination = config.pagination;
  return {
    name: 'records',
    async readPage(session, since, position, what) {
      let url: URL;
      if (position?.kind === 'url') url = new URL(position.url);
      else {
        url = new URL(`${config.baseUrl}${config.path}`);
        for (const [k, v] of Object.entries(config.query)) url.searchParams.set(k, v);
        url.searchParams.set(config.incremental.param, since);
        if (config.pageSizeParam !== undefined) url.searchParams.set(config.pageSizeParam, String(config.pageSize));
        if (pagination.type === 'cursor' && position?.kind === 'cursor')
          url.searchParams.set(pagination.cursorParam, position.cursor);
        if (pagination.type === 'offset')
          url.searchParams.set(pagination.offsetParam, String(position?.kind === 'offset' ? position.offset : 0));
        if (pagination.type === 'page')
          url.searchParams.set(
            pagination.pageParam,
            String(position?.kind === 'page' ? position.page : pagination.firstPage),
          );
      }
      const { body, headers } = await session.getJson(url, what);
      const records = valueAt(body, config.recordsPath);
      if (!Array.isArray(records))
        throw new ConnectorHttpError(
          `${what}: the response has no records array${config.recordsPath === '' ? '' : ` at ${config.recordsPath}`}`,
        );
      const full = records.length >= config.pageSize;
      let next: PagePosition | undefined;
      switch (pagination.type) {
        case 'cursor': {
          const cursor = valueAt(body, pagination.nextCursorPath);
          next =
            (typeof cursor === 'string' && cursor !== '') || typeof cursor === 'number'
              ? { kind: 'cursor', cursor: String(cursor) }
              : undefined;
          break;
        }
        case 'offset':
          next = full
            ? { kind: 'offset', offset: (position?.kind === 'offset' ? position.offset : 0) + records.length }
            : undefined;
          break;
        case 'page':
          next = full
            ? { kind: 'page', page: (position?.kind === 'page' ? position.page : pagination.firstPage) + 1 }
            : undefined;
          break;
        case 'link_header': {
          const link = nextLink(headers.get('link'), url);
          next = link !== undefined ? { kind: 'url', url: link } : undefined;
          break;
        }
        case 'none':
          next = undefined;
      }
      const rows = records.map((r) => mapRecord(r, config.mapping));
      const highWater = latest(records.map((r) => valueAt(r, config.incremental.field)));
      return {
        landings: rows.length > 0 ? [{ dataset: config.dataset, rows }] : [],
        read: records.length,
        ...(highWater !== undefined ? { highWater } : {}),
        ...(next !== undefined ? { next } : {}),
      };
    },
  };
}

export function fhirStream(config: FhirConnectorConfig, resource: FhirResource): Stream {
  const dataset = FHIR_RESOURCES[resource];
  // Pages of one walk, in order: a reading pair split by a page boundary lands whole on the later page.
  const complete = completeWithPreviousPage();
  return {
    name: resource,
    async readPage(session, since, position, what) {
      let url: URL;
      if (position?.kind === 'url') url = new URL(position.url);
      else {
        url = new URL(`${config.baseUrl}/${resource}`);
        url.searchParams.set('_lastUpdated', `gt${since}`);
        url.searchParams.set('_count', String(config.pageSize));
        url.searchParams.set('_sort', '_lastUpdated');
        if (resource === 'Observation') url.searchParams.set('code', observationCodeFilter());
        if (resource === 'MedicationAdministration')
          url.searchParams.set('_include', 'MedicationAdministration:request');
      }
      const { body } = await session.getJson(url, what);
      let bundle: ReturnType<typeof readSearchBundle>;
      try {
        bundle = readSearchBundle(body);
      } catch {
        throw new ConnectorHttpError(`${what}: the response is not a FHIR Bundle`);
      }
      const mapped =
        resource === 'Observation'
          ? observationsToVitals(bundle.matches, config.site)
          : administrationsToDosage(bundle.matches, bundle.included, config.site);
      const rows = resource === 'Observation' ? complete(mapped.rows) : mapped.rows;
      const highWater = latestUpdate(bundle.matches);
      return {
        landings: rows.length > 0 ? [{ dataset, rows }] : [],
        read: bundle.matches.length,
        ...(highWater !== undefined ? { highWater } : {}),
        ...(bundle.next !== undefined ? { next: { kind: 'url', url: new URL(bundle.next, url).toString() } } : {}),
      };
    },
  };
}

/** The streams a connector reads, in order. */
export function streamsOf(config: HttpConnectorConfig): Stream[] {
  return config.kind === 'rest' ? [restStream(config)] : config.resources.map((r) => fhirStream(config, r));
}
