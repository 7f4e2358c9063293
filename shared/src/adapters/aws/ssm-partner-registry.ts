/**
 * The PartnerRegistry port on SSM Parameter Store: one SecureString per key at
 * `<prefix><accessKeyId>` (prefix `/pulse-lake/<stage>/partners/`), holding
 * `{"partnerId", "secretAccessKey", "datasets"?, "createdAt"}` as JSON. Lookups are
 * cached per container for a few minutes, so a revoked key stops working
 * within that time, and a flood of unknown keys does not throttle SSM.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { PartnerKey, PartnerRegistry } from '../../ports';

const FOUND_TTL_MS = 5 * 60_000;
const MISSING_TTL_MS = 60_000;
/** Access key ids are the registry's own (`PLK` + base32); anything else is not looked up at all. */
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** The parameter exists but does not hold a usable key. Never carries the parameter's value. */
export class PartnerKeyParameterError extends Error {
  override name = 'PartnerKeyParameterError';
}

export function partnerKeysPrefix(stage: string): string {
  return `/pulse-lake/${stage}/partners/`;
}

function parseKey(accessKeyId: string, value: string, name: string): PartnerKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new PartnerKeyParameterError(`SSM parameter ${name} is not JSON`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const { partnerId, secretAccessKey, datasets, createdAt } = record;
  if (typeof partnerId !== 'string' || typeof secretAccessKey !== 'string' || secretAccessKey === '') {
    throw new PartnerKeyParameterError(`SSM parameter ${name} needs string fields partnerId and secretAccessKey`);
  }
  return {
    accessKeyId,
    partnerId,
    secretAccessKey,
    ...(Array.isArray(datasets) ? { datasets: datasets.filter((d): d is string => typeof d === 'string') } : {}),
    createdAt: typeof createdAt === 'string' ? createdAt : '',
  };
}

export function buildSsmPartnerRegistry(
  client: SSMClient,
  prefix: string,
  now: () => number = Date.now,
): PartnerRegistry {
  const cache = new Map<string, { key: PartnerKey | undefined; until: number }>();
  return {
    async find(accessKeyId) {
      if (!ACCESS_KEY_ID.test(accessKeyId)) return undefined;
      const hit = cache.get(accessKeyId);
      if (hit !== undefined && hit.until > now()) return hit.key;
      const name = `${prefix}${accessKeyId}`;
      let key: PartnerKey | undefined;
      try {
        const result = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
        const value = result.Parameter?.Value;
        key = value === undefined || value === '' ? undefined : parseKey(accessKeyId, value, name);
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ParameterNotFound')) throw error;
        key = undefined;
      }
      cache.set(accessKeyId, { key, until: now() + (key === undefined ? MISSING_TTL_MS : FOUND_TTL_MS) });
      return key;
    },
  };
}
