/**
 * The SecretStore port on SSM Parameter Store: secret `<name>` is the
 * SecureString `<prefix><name>` (prefix `/pulse-lake/<stage>/connectors/`).
 * Values are cached per container for a few minutes, so a rotated credential
 * applies within that time without an SSM call per request.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { SecretStore } from '../../ports';
import { SecretNotFoundError } from '../../ports';

const TTL_MS = 5 * 60_000;

export function connectorSecretsPrefix(stage: string): string {
  return `/pulse-lake/${stage}/connectors/`;
}

export function buildSsmSecretStore(client: SSMClient, prefix: string, now: () => number = Date.now): SecretStore {
  const cache = new Map<string, { value: string; until: number }>();
  return {
    async get(name) {
      const hit = cache.get(name);
      if (hit !== undefined && hit.until > now()) return hit.value;
      const parameter = `${prefix}${name}`;
      let value: string | undefined;
      try {
        value = (await client.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }))).Parameter
          ?.Value;
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ParameterNotFound')) throw error;
      }
      if (value === undefined || value === '') throw new SecretNotFoundError(name, `SSM parameter ${parameter}`);
      cache.set(name, { value, until: now() + TTL_MS });
      return value;
    },
  };
}
