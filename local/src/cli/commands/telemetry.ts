/** `lake telemetry put <file.jsonl>`: device readings written into the telemetry table, as devices do. */
import { parseArgs } from 'node:util';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import { TELEMETRY_KEY } from '@pulse-lake/shared/lake/telemetry-items';
import { UsageError } from '../arguments';
import { LOCAL_STAGE } from '../environment';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';
import { putTelemetryItems, readTelemetryItems } from '../telemetry';

export const usage = `  lake telemetry put <file.jsonl>
      Write device readings into the telemetry table, as devices do; its stream feeds the lake
      (lake up must run for them to land). A line is a table item (pk, sk) or a reading with its type.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'put') throw new UsageError('telemetry needs an action: lake telemetry put <file.jsonl>');
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {}, strict: true });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new UsageError('telemetry put needs one JSON Lines file, e.g. lake telemetry put readings.jsonl');
  const items = await readTelemetryItems(file);
  const table = lakeNames(LOCAL_STAGE).tables.telemetry;
  const written = await withLake(io, async (lake) => {
    // The table exists once the lake has started; before that, this makes it as lake up would.
    await lake.tables.define({ name: table, keySchema: TELEMETRY_KEY });
    return putTelemetryItems((batch) => lake.tables.putItems(table, batch), items);
  });
  io.stdout(`put ${written} item(s) into ${table}; lake up streams them into the lake\n`);
  return 0;
}
