import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'sid';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const SESSION_ID_OF = Symbol('stockroom.sessionId');
type WithSessionId = FastifyRequest & { [SESSION_ID_OF]?: string | null };

/**
 * The session id from `Authorization: Bearer <id>` or the `sid` cookie; malformed ones are ignored.
 * Parsed once per request: a signed-in read asks several times (throttler, access, Cache-Control, recently viewed).
 */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  // Most catalogue reads are anonymous: no parsing for them.
  if (request.headers.authorization === undefined && request.headers.cookie === undefined) return undefined;
  const memo = request as WithSessionId;
  if (memo[SESSION_ID_OF] === undefined) memo[SESSION_ID_OF] = parseSessionId(request) ?? null;
  return memo[SESSION_ID_OF] ?? undefined;
}

function parseSessionId(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const cookie = (request.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === SESSION_COOKIE)?.[1];
  const candidate = bearer ?? cookie;
  return candidate && SESSION_ID.test(candidate) ? candidate : undefined;
}

export function sessionCookie(sessionId: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${sessionId}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(secure ? ['Secure'] : [])].join('; ');
}
