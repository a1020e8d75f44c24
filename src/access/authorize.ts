/** Step 10 of the order of checks: organization scope, allowlist, route enablement, then scopes. */
import { PublicError } from '../contract/errors.js';
import type { PublicRoute } from '../contract/routes.js';
import type { KeyState, OrganizationState } from './key-state.js';

export function requireRouteAccess(
  route: Pick<PublicRoute, 'id' | 'scopes'>,
  key: KeyState,
  organization: OrganizationState | null,
): OrganizationState {
  if (!organization) throw new PublicError('org_scope_only_required');
  if (!organization.allowlisted) throw new PublicError('organization_not_allowlisted');
  if (!organization.enabledRoutes.has(route.id)) throw new PublicError('route_not_allowed');
  if (!route.scopes.every((scope) => key.scopes.has(scope))) throw new PublicError('missing_scope');
  return organization;
}
