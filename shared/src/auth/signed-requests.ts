/**
 * Admitting a signed request: the access key it names is looked up in the
 * partner registry and its SigV4 signature (service `execute-api`) verified
 * (sigv4.ts). The same check in Lambda and in the local gateway; the
 * middleware that runs it before every handler is edge/signed-requests.ts.
 */
import type { LakeDeps, PartnerKey } from '../ports';
import { type SignedRequest, verifySignature } from './sigv4';

export const SIGNING_SERVICE = 'execute-api';

/** Who signed the request. */
export interface Partner {
  partnerId: string;
  accessKeyId: string;
  /** Datasets the key may push to. */
  datasets: readonly string[];
}

/**
 * The partner who signed `request` with a registered key. Throws
 * SignatureError naming the check that failed.
 */
export async function verifySignedRequest(
  deps: Pick<LakeDeps, 'partners' | 'clock' | 'region'>,
  request: SignedRequest,
): Promise<Partner> {
  let key: PartnerKey | undefined;
  await verifySignature(request, {
    region: deps.region,
    service: SIGNING_SERVICE,
    now: deps.clock.now(),
    secretOf: async (accessKeyId) => {
      key = await deps.partners.find(accessKeyId);
      return key?.secretAccessKey;
    },
  });
  if (key === undefined) throw new Error('signature verified without a key');
  return { partnerId: key.partnerId, accessKeyId: key.accessKeyId, datasets: key.datasets ?? [] };
}
