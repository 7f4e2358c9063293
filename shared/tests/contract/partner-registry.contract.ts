/**
 * What every PartnerRegistry does: run by partner-registry.local.test.ts (the 0600
 * keys file under a temp LAKE_HOME) and partner-registry.aws.test.ts (one SSM
 * SecureString per key, over fakes/ssm.ts).
 */
import type { PartnerKey } from '../../src/ports';
import type { PartnerRegistry } from '../../src/ports';

export interface PartnerRegistrySubject {
  partners: PartnerRegistry;
  /** Registers a key the way the operator's tooling does on that platform. */
  register(key: PartnerKey): Promise<void>;
}

const clinicKey: PartnerKey = {
  accessKeyId: 'PLKCLINICSG0000001',
  partnerId: 'clinic-sg',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  datasets: ['vitals', 'dosage'],
  createdAt: '2024-05-01T00:00:00.000Z',
};

/** Defines the PartnerRegistry contract; `open` gives a fresh, empty registry per test. */
export function partnerRegistryContract(open: () => Promise<PartnerRegistrySubject>): void {
  let subject: PartnerRegistrySubject;
  beforeEach(async () => {
    subject = await open();
  });

  it('finds a registered key by its access key id, with its partner, secret, datasets and creation time', async () => {
    await subject.register(clinicKey);

    expect(await subject.partners.find(clinicKey.accessKeyId)).toEqual(clinicKey);
  });

  it('keeps a key without datasets without them', async () => {
    const { datasets: _none, ...gatewayKey } = { ...clinicKey, accessKeyId: 'PLKGATEWAY00000001' };
    await subject.register(gatewayKey);

    expect(await subject.partners.find(gatewayKey.accessKeyId)).toEqual(gatewayKey);
  });

  it('answers undefined for an access key id nobody registered', async () => {
    await subject.register(clinicKey);

    expect(await subject.partners.find('PLKUNKNOWN00000001')).toBeUndefined();
  });
}
