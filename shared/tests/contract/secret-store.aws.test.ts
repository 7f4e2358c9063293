/** The SecretStore contract on SSM SecureStrings, over the fake SSM of fakes/ssm.ts (secret-store.contract.ts). */
import { buildSsmSecretStore, connectorSecretsPrefix } from '../../src/adapters/aws/ssm-secret-store';
import { type FakeParameters, fakeSsm } from './fakes/ssm';
import { secretStoreContract } from './secret-store.contract';

describe('SecretStore contract: SSM', () => {
  secretStoreContract(async () => {
    const parameters: FakeParameters = new Map();
    const prefix = connectorSecretsPrefix('test');
    return {
      secrets: buildSsmSecretStore(fakeSsm(parameters), prefix),
      store: async (name, value) => void parameters.set(`${prefix}${name}`, { value, secure: true }),
    };
  });
});
