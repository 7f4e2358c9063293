/**
 * SSM Parameter Store as `aws-sdk-client-mock` plays it for the contract suites:
 * GetParameter answers ParameterNotFound for a name that is not there, and a
 * SecureString's value only when asked WithDecryption (otherwise its ciphertext).
 */
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';

/** The fake's parameters: write to it to put or change one. */
export type FakeParameters = Map<string, { value: string; secure: boolean }>;

/** Mocks every SSMClient of this test file over `parameters`. */
export function fakeSsm(parameters: FakeParameters): SSMClient {
  const mock = mockClient(SSMClient);
  mock.on(GetParameterCommand).callsFake(async (input) => {
    const name = input.Name ?? '';
    const parameter = parameters.get(name);
    if (parameter === undefined) throw new ParameterNotFound({ message: `${name} not found`, $metadata: {} });
    const value =
      parameter.secure && input.WithDecryption !== true
        ? Buffer.from(`kms:${parameter.value}`).toString('base64')
        : parameter.value;
    return {
      Parameter: { Name: name, Type: parameter.secure ? 'SecureString' : 'String', Value: value, Version: 1 },
    };
  });
  return new SSMClient({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } });
}
