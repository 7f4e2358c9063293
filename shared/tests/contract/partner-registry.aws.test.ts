/** The PartnerRegistry contract on SSM SecureStrings, over the fake SSM of fakes/ssm.ts (partner-registry.contract.ts). */
import { buildSsmPartnerRegistry, partnerKeysPrefix } from '../../src/adapters/aws/ssm-partner-registry';
import { type FakeParameters, fakeSsm } from './fakes/ssm';
import { partnerRegistryContract } from './partner-registry.contract';

describe('PartnerRegistry contract: SSM', () => {
  partnerRegistryContract(async () => {
    const parameters: FakeParameters = new Map();
    const prefix = partnerKeysPrefix('test');
    return {
      partners: buildSsmPartnerRegistry(fakeSsm(parameters), prefix),
      register: async ({ accessKeyId, ...stored }) =>
        void parameters.set(`${prefix}${accessKeyId}`, { value: JSON.stringify(stored), secure: true }),
    };
  });
});
