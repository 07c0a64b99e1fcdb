/**
 * Finding a request's route: each route's path template becomes a regular
 * expression and its body schema a validator once, when the gateway starts;
 * a request only runs the expressions.
 */
import { InvalidArgumentError } from '../../runtime/errors.js';
import { bodyChecks, type BodyCheck } from './body.js';
import type { Route } from './route.js';

export interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  /** the names of the path's {parameters}, in the pattern's group order */
  names: string[];
  /** undefined: the route takes no body */
  body: BodyCheck | undefined;
}

export function compileRoutes(table: readonly Route[]): CompiledRoute[] {
  const bodyCheckOf = bodyChecks();
  return table.map((route) => {
    const names: string[] = [];
    const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    })}$`);
    return { route, pattern, names, body: bodyCheckOf(route) };
  });
}

export type RouteMatch =
  | { route: CompiledRoute; groups: RegExpExecArray }
  /** no route: `allow` lists the methods of the routes at that path, undefined when there are none */
  | { route: undefined; allow: string | undefined };

/** The first route of `method` at `pathname`, in table order. */
export function matchRoute(compiled: readonly CompiledRoute[], method: string, pathname: string): RouteMatch {
  let pathMatched = false;
  for (const c of compiled) {
    const m = c.pattern.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (c.route.method === method) return { route: c, groups: m };
  }
  const allow = pathMatched ? compiled.filter((c) => c.pattern.test(pathname)).map((c) => c.route.method).join(', ') : undefined;
  return { route: undefined, allow };
}

/** The path parameters, percent-decoded; a malformed escape is the client's INVALID_ARGUMENT. */
export function pathParams(c: CompiledRoute, groups: RegExpExecArray): Record<string, string> {
  const params: Record<string, string> = {};
  c.names.forEach((n, i) => {
    try {
      params[n] = decodeURIComponent(groups[i + 1]!);
    } catch {
      throw new InvalidArgumentError(n, `"${groups[i + 1]}" is not valid percent-encoding`, 'Percent-encode the path segment as UTF-8 (encodeURIComponent), e.g. %20 for a space.');
    }
  });
  return params;
}
