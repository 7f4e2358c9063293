import { GetParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSsmSecretStore, connectorSecretsPrefix } from '../../../../src/adapters/aws/ssm-secret-store';
import { SecretNotFoundError } from '../../../../src/ports';

const ssm = mockClient(SSMClient);

describe('the SSM secret store', () => {
  beforeEach(() => ssm.reset());

  it('reads a connector secret from its SecureString, decrypted, and caches it for a few minutes', async () => {
    // Prepare
    ssm.on(GetParameterCommand).resolves({
      Parameter: {
        Name: '/pulse-lake/prod/connectors/pharmacy-sg/api-key',
        Type: 'SecureString',
        Value: 'sk-live-1',
      },
    });
    let now = 0;
    const secrets = buildSsmSecretStore(
      new SSMClient({ region: 'ap-southeast-1' }),
      connectorSecretsPrefix('prod'),
      () => now,
    );
    // Act
    const values = [await secrets.get('pharmacy-sg/api-key'), await secrets.get('pharmacy-sg/api-key')];
    now = 6 * 60_000;
    values.push(await secrets.get('pharmacy-sg/api-key'));
    // Assess
    expect(values).toEqual(['sk-live-1', 'sk-live-1', 'sk-live-1']);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: '/pulse-lake/prod/connectors/pharmacy-sg/api-key', WithDecryption: true },
      { Name: '/pulse-lake/prod/connectors/pharmacy-sg/api-key', WithDecryption: true },
    ]);
  });

  it('names a missing secret without any value', async () => {
    // Prepare
    ssm.on(GetParameterCommand).rejects(
      new SSMServiceException({
        name: 'ParameterNotFound',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'nf',
      }),
    );
    const secrets = buildSsmSecretStore(new SSMClient({ region: 'ap-southeast-1' }), connectorSecretsPrefix('prod'));
    // Act / Assess
    await expect(secrets.get('fhir/client-secret')).rejects.toThrow(
      new SecretNotFoundError('fhir/client-secret', 'SSM parameter /pulse-lake/prod/connectors/fhir/client-secret'),
    );
  });
});
