/**
 * renderNamedQuery: a named query as engine SQL for one partner, over the
 * lake's registered dataset contracts (see scoping.ts for what is generated).
 */
import { findContract } from '../datasets/registry';
import type { NamedQuery } from './named-query';
import { renderWithContracts, type RenderScope, type RenderTarget, type RenderedQuery } from './scoping';

export { PARTNER_SCOPE, QueryScopeError, type RenderScope, type RenderTarget, type RenderedQuery } from './scoping';

/**
 * Renders `query` with `params` for the partner in `scope`, for the curated
 * database and dialect in `target`. Throws ParameterError (listing every
 * problem, safe to show the partner) or QueryScopeError.
 */
export function renderNamedQuery(
  query: NamedQuery,
  params: Readonly<Record<string, string>>,
  scope: RenderScope,
  target: RenderTarget,
): RenderedQuery {
  return renderWithContracts(query, params, scope, target, findContract);
}
