/** `lake partners add | list`: partner key pairs for the signed partner API (secrets shown once, never listed). */
import { parseArgs } from 'node:util';
import { buildLocalPartnerRegistry } from '@pulse-lake/shared/adapters/local/index';
import { PARTNER_ID } from '@pulse-lake/shared/auth/partners';
import { SIGNING_SERVICE } from '@pulse-lake/shared/auth/signed-requests';
import { DATASETS, findContract } from '@pulse-lake/shared/datasets/registry';
import { DEFAULT_REGION } from '@pulse-lake/shared/lake/names';
import { formatResult } from '@pulse-lake/shared/query/format';
import { UsageError } from '../arguments';
import { lakeHome } from '../environment';
import type { CliIo } from '../io';
import { addPartnerKey } from '../partners';
import { column } from '../results';

export const usage = `  lake partners add <id> [--datasets vitals,dosage]
      Make a key pair for a partner or gateway; prints it once (JSON). Requests to the API are signed with it.
  lake partners list [--json]
      Partners and their access key ids (never the secrets).
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { datasets: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const registry = buildLocalPartnerRegistry(lakeHome(io));
  switch (action) {
    case 'add': {
      const [partnerId] = positionals;
      if (partnerId === undefined || positionals.length > 1)
        throw new UsageError(
          'partners add needs one partner id, e.g. lake partners add clinic-sg --datasets vitals,dosage',
        );
      if (!PARTNER_ID.test(partnerId))
        throw new UsageError(`partner id "${partnerId}" must be 2-63 lower-case letters, digits and dashes`);
      const datasets = values.datasets
        ?.split(',')
        .map((d) => d.trim())
        .filter((d) => d !== '');
      for (const dataset of datasets ?? [])
        if (findContract(dataset) === undefined)
          throw new UsageError(
            `--datasets: ${dataset} is not a known dataset; known datasets: ${DATASETS.map((d) => d.name).join(', ')}`,
          );
      const key = await addPartnerKey(registry, partnerId, datasets, new Date());
      io.stdout(
        `${JSON.stringify({ ...key, region: io.env.AWS_REGION ?? DEFAULT_REGION, service: SIGNING_SERVICE }, null, 2)}\n`,
      );
      io.stderr("the secret is shown this once; keep it in the partner's secret store\n");
      return 0;
    }
    case 'list': {
      const keys = (await registry.list()).map((k) => ({
        partnerId: k.partnerId,
        accessKeyId: k.accessKeyId,
        datasets: k.datasets ?? [],
        createdAt: k.createdAt,
      }));
      if (values.json) io.stdout(`${JSON.stringify(keys, null, 2)}\n`);
      else
        io.stdout(
          formatResult(
            {
              columns: [column('partner'), column('access_key_id'), column('datasets'), column('created_at')],
              rows: keys.map((k) => [k.partnerId, k.accessKeyId, k.datasets.join(','), k.createdAt]),
            },
            'table',
          ),
        );
      return 0;
    }
    default:
      throw new UsageError('partners needs add or list, e.g. lake partners add clinic-sg');
  }
}
