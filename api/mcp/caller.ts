/**
 * Who makes an MCP call, and what they may do. Today the server has one
 * token and it gives every right; issue #19 brings roles (scoped tokens) to
 * the API layer. Then `rights` comes from the token the call carried
 * (api/auth.ts) and mayDeploy() is where a role is asked: it is the only
 * place that decides whether a caller may deploy or remove agents.
 */
import { PermissionDeniedError } from '../../runtime/errors.js';

/** What a token allows: today only the one server token, with every right. */
export type Rights = 'full';

export interface Caller {
  /** how the call came: the /mcp endpoint, or `caxton mcp` (whose gRPC calls carry the user's token) */
  readonly via: 'http' | 'stdio';
  readonly rights: Rights;
}

/** A caller that authenticated with the server token (the only kind today). */
export function tokenCaller(via: Caller['via']): Caller {
  return { via, rights: 'full' };
}

/** May this caller deploy and remove agents (the MCP deploy tool)? undefined = yes; otherwise PERMISSION_DENIED, to report. */
export function mayDeploy(caller: Caller): PermissionDeniedError | undefined {
  if (caller.rights === 'full') return undefined;
  return new PermissionDeniedError('deploy or remove agents', `the token's rights (${String(caller.rights)}) do not include deploying`);
}
