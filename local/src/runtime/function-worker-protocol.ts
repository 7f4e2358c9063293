/** The messages between the runtime and a function worker process (function-workers.ts, function-worker.ts). */
import type { LakeEvent } from '@pulse-lake/shared/ports';

/** What a worker needs to become a warm container of one function. */
export interface WorkerSettings {
  home: string;
  stage: string;
  region: string;
  accountId: string;
  functionName: string;
  handlerFile: string;
  timeoutSeconds: number;
  memorySize: number;
}

export type ParentMessage =
  | { kind: 'invoke'; id: number; event: unknown }
  | { kind: 'published'; id: number; error?: string }
  | { kind: 'stop' };

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'failed'; id: number; error: { name: string; message: string } }
  | { kind: 'publish'; id: number; events: LakeEvent[] }
  | { kind: 'created'; bucket: string; key: string; eventName: string };
