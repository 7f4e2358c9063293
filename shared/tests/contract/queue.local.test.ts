/** The Queue contract on the local durable queue (queue.contract.ts). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLocalQueue } from '../../src/adapters/local/queue';
import { queueContract } from './queue.contract';

describe('Queue contract: local folders', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  queueContract(async () => {
    const home = await mkdtemp(join(tmpdir(), 'contract-queue-'));
    homes.push(home);
    const queue = buildLocalQueue(home);
    const queueName = 'pulse-lake-test-normalize';
    return { queue, queueName, waiting: async () => (await queue.list(queueName)).map((m) => m.body) };
  });
});
