/**
 * Contracts for rendering tests: the lake's real vitals and patients
 * contracts, and a staging dataset to show what partners cannot read.
 */
import type { DatasetContract } from '../../../src/datasets/contract';
import { patients } from '../../../src/datasets/patients';
import { vitals } from '../../../src/datasets/vitals';
import type { ContractLookup } from '../../../src/query/scoping';

/** A staging dataset without patient tokens, to show what cannot be scoped. */
export const stagingFixture: DatasetContract = {
  ...patients,
  name: 'trial_feed',
  stage: 'staging',
};

export const fixtureContracts: ContractLookup = (name) => ({ vitals, patients, trial_feed: stagingFixture })[name];
