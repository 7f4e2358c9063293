/**
 * The KeyStore port on SSM Parameter Store: the pseudonymization key is a
 * SecureString (KMS-encrypted), holding at least 32 bytes as hex or base64.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { KeyStore } from '../../ports';

/** The parameter is missing or does not hold a usable key. The message never contains the key. */
export class PseudonymizationKeyError extends Error {
  override name = 'PseudonymizationKeyError';
}

const MIN_KEY_BYTES = 32;

/** Decodes the parameter value: 64+ hex digits, or base64 of 32+ bytes. */
export function decodeKey(value: string, parameterName: string): Buffer {
  const text = value.trim();
  const key =
    /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length < MIN_KEY_BYTES) {
    throw new PseudonymizationKeyError(
      `SSM parameter ${parameterName} holds ${key.length} bytes; the pseudonymization key needs at least ${MIN_KEY_BYTES} (hex or base64)`,
    );
  }
  return key;
}

/**
 * Builds the SSM KeyStore. The key is fetched once per container and cached; a
 * failed fetch is not cached, so the next invocation tries again.
 */
export function buildSsmKeyStore(client: SSMClient, parameterName: string): KeyStore {
  let cached: Promise<Buffer> | undefined;
  return {
    pseudonymizationKey() {
      if (cached === undefined) {
        const loading = client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true })).then(
          (result) => {
            const value = result.Parameter?.Value;
            if (value === undefined || value === '')
              throw new PseudonymizationKeyError(`SSM parameter ${parameterName} has no value`);
            return decodeKey(value, parameterName);
          },
          (error: unknown) => {
            if (error instanceof Error && error.name === 'ParameterNotFound') {
              throw new PseudonymizationKeyError(
                `SSM parameter ${parameterName} does not exist; create it as a SecureString holding 32 random bytes (hex or base64)`,
                { cause: error },
              );
            }
            throw error;
          },
        );
        loading.catch(() => {
          cached = undefined;
        });
        cached = loading;
      }
      return cached;
    },
  };
}
