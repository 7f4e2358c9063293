import { GetParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import {
  buildSsmPartnerRegistry,
  PartnerKeyParameterError,
  partnerKeysPrefix,
} from '../../../../src/adapters/aws/ssm-partner-registry';

const ssm = mockClient(SSMClient);
const ID = 'PLKABCDEFGHIJKLMNOPQ';
const notFound = () =>
  new SSMServiceException({
    name: 'ParameterNotFound',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'nf',
  });

describe('the SSM partner registry', () => {
  beforeEach(() => ssm.reset());

  it('reads a key from its SecureString, decrypted, and caches it for the container', async () => {
    ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Value: JSON.stringify({
          partnerId: 'clinic-sg',
          secretAccessKey: 's3cret',
          datasets: ['vitals'],
          createdAt: '2026-01-01T00:00:00Z',
        }),
      },
    });
    const registry = buildSsmPartnerRegistry(new SSMClient({ region: 'ap-southeast-1' }), partnerKeysPrefix('prod'));

    const first = await registry.find(ID);
    const second = await registry.find(ID);

    expect(first).toEqual({
      accessKeyId: ID,
      partnerId: 'clinic-sg',
      secretAccessKey: 's3cret',
      datasets: ['vitals'],
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(second).toEqual(first);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: `/pulse-lake/prod/partners/${ID}`, WithDecryption: true },
    ]);
  });

  it('answers unknown for a missing parameter, remembers that for a minute, and never looks up ids that are not key ids', async () => {
    ssm.on(GetParameterCommand).rejects(notFound());
    let now = 0;
    const registry = buildSsmPartnerRegistry(
      new SSMClient({ region: 'ap-southeast-1' }),
      partnerKeysPrefix('prod'),
      () => now,
    );

    expect(await registry.find(ID)).toBeUndefined();
    expect(await registry.find(ID)).toBeUndefined();
    now = 61_000;
    expect(await registry.find(ID)).toBeUndefined();
    expect(await registry.find('../../pseudonymization-key')).toBeUndefined();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('refuses a parameter that does not hold a key, without quoting its value', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'not json s3cret' } });
    const registry = buildSsmPartnerRegistry(new SSMClient({ region: 'ap-southeast-1' }), partnerKeysPrefix('prod'));

    const failure = registry.find(ID);

    await expect(failure).rejects.toThrow(PartnerKeyParameterError);
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});
