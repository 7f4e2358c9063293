/** The KeyStore contract on an SSM SecureString, over the fake SSM of fakes/ssm.ts (key-store.contract.ts). */
import { randomBytes } from 'node:crypto';
import { buildSsmKeyStore } from '../../src/adapters/aws/ssm-key-store';
import { type FakeParameters, fakeSsm } from './fakes/ssm';
import { keyStoreContract } from './key-store.contract';

const PARAMETER = '/pulse-lake/test/pseudonymization-key';

describe('KeyStore contract: SSM', () => {
  keyStoreContract(async () => {
    const parameters: FakeParameters = new Map([[PARAMETER, { value: randomBytes(32).toString('hex'), secure: true }]]);
    const client = fakeSsm(parameters);
    return { keys: buildSsmKeyStore(client, PARAMETER), sameStorage: () => buildSsmKeyStore(client, PARAMETER) };
  });
});
