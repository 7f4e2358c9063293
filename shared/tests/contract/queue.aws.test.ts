/** The Queue contract on the SQS adapter, over the fake SQS of fakes/sqs.ts (queue.contract.ts). */
import { DEFAULT_RETRY } from '../../src/adapters/aws/retry';
import { buildSqsQueue } from '../../src/adapters/aws/sqs-queue';
import { fakeSqs } from './fakes/sqs';
import { queueContract } from './queue.contract';

describe('Queue contract: SQS', () => {
  queueContract(async () => {
    const queueName = 'pulse-lake-test-normalize';
    const queues = new Map([[queueName, [] as string[]]]);
    const queue = buildSqsQueue(fakeSqs(queues), { ...DEFAULT_RETRY, sleep: async () => undefined });
    return { queue, queueName, waiting: async () => [...(queues.get(queueName) ?? [])] };
  });
});
