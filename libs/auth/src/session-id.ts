import type { FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'sid';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The session id from `Authorization: Bearer <id>` or the `sid` cookie; malformed ones are ignored. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  // Most catalogue reads are anonymous: no parsing for them.
  if (request.headers.authorization === undefined && request.headers.cookie === undefined) return undefined;
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
