/** `lake dlq list | redrive`: what failed every retry (normalize chunks, telemetry stream batches), and sending it back. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StreamFailureRecord } from '../../runtime/event-sources/stream-failure-record';
import type { NormalizeChunkMessage } from '@pulse-lake/shared/lake/messages';
import { lakeNames } from '@pulse-lake/shared/lake/names';
import type { ResultSet } from '@pulse-lake/shared/query/format';
import { formatResult } from '@pulse-lake/shared/query/format';
import { UsageError } from '../arguments';
import { LOCAL_STAGE, lakeHome } from '../environment';
import type { CliIo } from '../io';
import { withLake } from '../local-lake';
import { column } from '../results';

export const usage = `  lake dlq list [--json]
      Chunks that failed every retry, parked in the normalize queue's dead-letter queue, and telemetry
      stream batches given up on (their shard and sequence range).
  lake dlq redrive
      Sends them back to the normalize queue (after the cause is fixed); lake up then retries them.
`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
  switch (action) {
    case 'list':
      return list(values.json === true, io);
    case 'redrive': {
      const { normalize, normalizeDlq } = lakeNames(LOCAL_STAGE).queues;
      const moved = await withLake(io, (lake) => lake.queue.redrive(normalizeDlq, normalize));
      io.stdout(
        values.json
          ? `${JSON.stringify({ redriven: moved })}\n`
          : `${moved} message(s) moved from ${normalizeDlq} back to ${normalize}; lake up retries them\n`,
      );
      return 0;
    }
    default:
      throw new UsageError('dlq needs list or redrive, e.g. lake dlq list');
  }
}

async function list(json: boolean, io: CliIo): Promise<number> {
  const { normalizeDlq, telemetryStreamDlq } = lakeNames(LOCAL_STAGE).queues;
  const { messages, streamFailures } = await withLake(io, async (lake) => ({
    messages: await lake.queue.list(normalizeDlq),
    streamFailures: await lake.queue.list(telemetryStreamDlq),
  }));
  // The bodies are normalize-chunk messages: dataset, raw key (a content hash, no identifiers) and chunk.
  const listed = messages.map((m) => {
    const body = JSON.parse(m.body) as Partial<NormalizeChunkMessage>;
    return {
      messageId: m.messageId,
      dataset: body.dataset ?? null,
      raw: body.raw?.key ?? null,
      chunk: body.chunk ? `${body.chunk.index + 1}/${body.chunk.count}` : null,
      sentAt: new Date(m.sentTimestamp).toISOString(),
    };
  });
  // The telemetry stream's on-failure records name a shard and a sequence range, as AWS's do (no item values).
  const stream = streamFailures.map((m) => {
    const info = (JSON.parse(m.body) as Partial<StreamFailureRecord>).DDBStreamBatchInfo;
    return {
      messageId: m.messageId,
      shard: info?.shardId ?? null,
      firstSequence: info?.startSequenceNumber ?? null,
      lastSequence: info?.endSequenceNumber ?? null,
      records: info?.batchSize ?? null,
      sentAt: new Date(m.sentTimestamp).toISOString(),
    };
  });
  if (json) {
    io.stdout(`${JSON.stringify({ [normalizeDlq]: listed, [telemetryStreamDlq]: stream }, null, 2)}\n`);
    return 0;
  }
  if (listed.length === 0) io.stdout(`${normalizeDlq} is empty\n`);
  else {
    const result: ResultSet = {
      columns: [column('message_id'), column('dataset'), column('raw_object'), column('chunk'), column('parked_at')],
      rows: listed.map((m) => [m.messageId, m.dataset, m.raw, m.chunk, m.sentAt]),
    };
    io.stdout(formatResult(result, 'table'));
    io.stdout('why they failed is in the lake up log; fix the cause, then: npm run lake -- dlq redrive\n');
  }
  if (stream.length === 0) io.stdout(`${telemetryStreamDlq} is empty\n`);
  else {
    const result: ResultSet = {
      columns: [
        column('message_id'),
        column('shard'),
        column('first_sequence'),
        column('last_sequence'),
        column('records', 'BIGINT'),
        column('given_up_at'),
      ],
      rows: stream.map((m) => [m.messageId, m.shard, m.firstSequence, m.lastSequence, String(m.records), m.sentAt]),
    };
    io.stdout(formatResult(result, 'table'));
    io.stdout(
      `telemetry stream batches given up on; their records are kept in ${join(lakeHome(io), 'dynamodb', lakeNames(LOCAL_STAGE).tables.telemetry, 'shards', '<shard>', 'failed')}/ (docs/deploy.md: restoring from the DLQs)\n`,
    );
  }
  return 0;
}
