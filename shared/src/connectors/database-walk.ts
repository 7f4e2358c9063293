/**
 * What a database connector's run hands to the walk that reads its source:
 * the lake, the connector state to move, the result to fill, the deadline,
 * and the commit that writes the state once a page has landed.
 */
import type { LakeDeps } from '../ports';
import type { ConnectorState, RunOutcome } from './state';

export type DatabaseConnectorDeps = Pick<LakeDeps, 'store' | 'names' | 'clock' | 'secrets'>;

export interface DatabaseRunResult {
  connector: string;
  runId: string;
  outcome: Exclude<RunOutcome, 'running'> | 'busy';
  reason?: string;
  pages: number;
  records: number;
  /** Statements sent (pages read, slot advances). */
  requests: number;
  landed: { dataset: string; key: string; rows: number; duplicate: boolean }[];
}

/** What a walk over the database needs from its run. */
export interface DatabaseWalk {
  deps: DatabaseConnectorDeps;
  state: ConnectorState;
  result: DatabaseRunResult;
  /** Epoch ms by which the walk stops at a page boundary. */
  deadline: number;
  /** Writes the state; called only once the page it reflects has landed. */
  commit: () => Promise<void>;
}
