import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { HelmetOptions } from 'helmet';

/**
 * helmet's security headers, computed once at boot. With a static policy (no CSP nonces) helmet
 * sets the same headers on every response, yet `@fastify/helmet` runs every one of its
 * middlewares (and re-parses the CSP directives) per response: a third of an L1 hit's time.
 * Running helmet itself once against a recording response keeps its exact headers and defaults.
 */
export function securityHeaders(options?: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let error: unknown;
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (failure?: unknown) => {
    error = failure;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be computed once');
  if (error) throw error;
  return Object.freeze(headers);
}

/**
 * For JSON responses: the headers OWASP's REST Security cheat sheet gives APIs, through helmet.
 * A response that is never rendered as a page loads nothing, is framed by no one and is not
 * sniffed; helmet's page-only headers (COOP, Origin-Agent-Cluster, Referrer-Policy, the legacy
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection)
 * say nothing about a JSON body, and Node validates every header of every response again. Pages
 * (Swagger UI, the queue board) keep helmet's full defaults.
 */
export const API_HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};
