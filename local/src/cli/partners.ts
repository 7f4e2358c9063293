/**
 * Partner keys for the local lake: `lake partners add` makes one and prints
 * its secret once; `lake up --demo` makes one per demo partner and keeps them
 * in `$LAKE_HOME/demo-credentials.json` (0600) with a ready-to-paste curl line.
 */
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalPartnerRegistry } from '@pulse-lake/shared/adapters/local/index';
import { newPartnerKey } from '@pulse-lake/shared/auth/partners';
import type { PartnerKey } from '@pulse-lake/shared/ports';
import { SIGNING_SERVICE } from '@pulse-lake/shared/auth/signed-requests';

/** The partners `lake up --demo` serves: the fleet's patients belong to them. */
export const DEMO_PARTNERS = ['clinic-sg', 'clinic-us'] as const;

export interface DemoCredentials {
  region: string;
  service: string;
  endpoint: string;
  partners: { partnerId: string; accessKeyId: string; secretAccessKey: string }[];
}

/** Makes and stores a key for `partnerId`; the caller shows its secret once. */
export async function addPartnerKey(
  registry: LocalPartnerRegistry,
  partnerId: string,
  datasets: readonly string[] | undefined,
  now: Date,
): Promise<PartnerKey> {
  const key = newPartnerKey(partnerId, now, datasets);
  await registry.add(key);
  return key;
}

/** The demo partners' keys: made once per LAKE_HOME (while their registry entries exist), then reused. */
export async function demoCredentials(
  home: string,
  registry: LocalPartnerRegistry,
  region: string,
  endpoint: string,
  now: Date,
): Promise<DemoCredentials> {
  const path = join(home, 'demo-credentials.json');
  let known: DemoCredentials | undefined;
  try {
    known = JSON.parse(await readFile(path, 'utf8')) as DemoCredentials;
  } catch {
    known = undefined;
  }
  const partners: DemoCredentials['partners'] = [];
  for (const partnerId of DEMO_PARTNERS) {
    const previous = known?.partners.find((p) => p.partnerId === partnerId);
    const stored = previous !== undefined ? await registry.find(previous.accessKeyId) : undefined;
    const key = stored ?? (await addPartnerKey(registry, partnerId, ['vitals', 'dosage'], now));
    partners.push({ partnerId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
  }
  const credentials: DemoCredentials = { region, service: SIGNING_SERVICE, endpoint, partners };
  await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return credentials;
}

/** A curl command that calls `path` signed as `partner`. */
export function curlCommand(
  credentials: DemoCredentials,
  partner: DemoCredentials['partners'][number],
  path: string,
): string {
  return `curl --aws-sigv4 "aws:amz:${credentials.region}:${credentials.service}" --user "${partner.accessKeyId}:${partner.secretAccessKey}" ${credentials.endpoint}${path}`;
}
