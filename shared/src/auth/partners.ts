/**
 * Partner keys: an access key id and secret pair per partner or device
 * gateway, used to sign requests with SigV4. The registry keeps what
 * verification needs (the secret, since SigV4 is an HMAC) and what the key
 * may do; a new key's secret is shown once, to the operator who made it.
 */
import { randomBytes } from 'node:crypto';
import type { PartnerKey } from '../ports';

/** Partner ids are lower-case words and dashes (`clinic-sg`): they appear in keys, logs and parameter names. */
export const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new key for `partnerId`: a 20-character id shaped like AWS's (`PLK...`) and a 40-character secret. */
export function newPartnerKey(partnerId: string, now: Date, datasets?: readonly string[]): PartnerKey {
  if (!PARTNER_ID.test(partnerId))
    throw new RangeError(
      `partner id ${JSON.stringify(partnerId)} must be 2-63 lower-case letters, digits and dashes, starting with a letter or digit`,
    );
  const id = [...randomBytes(17)].map((b) => BASE32[b % 32]).join('');
  return {
    accessKeyId: `PLK${id}`,
    partnerId,
    secretAccessKey: randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B'),
    ...(datasets !== undefined ? { datasets: [...datasets] } : {}),
    createdAt: now.toISOString(),
  };
}
