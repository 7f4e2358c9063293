import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueRequestError, buildLocalQueue } from '../../../../src/adapters/local/queue';

describe('local SQS queue', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'lake-sqs-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('refuses what SQS refuses: oversized bodies and duplicate batch entry ids', async () => {
    const queue = buildLocalQueue(home);
    await expect(queue.send('q', [{ id: 'a', body: 'x'.repeat(262_145) }])).rejects.toThrow(
      /262145 bytes; SQS allows 262144/,
    );
    await expect(
      queue.send('q', [
        { id: 'a', body: '1' },
        { id: 'a', body: '2' },
      ]),
    ).rejects.toBeInstanceOf(QueueRequestError);
    expect(await queue.depth('q')).toEqual({ visible: 0, inFlight: 0 });
  });
});
