import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Role } from '@stockroom/core';

/** The first admin every test database gets (the config's defaults, allowed outside production). */
export const TEST_ADMIN = { email: 'admin@stockroom.local', password: 'change-me-stockroom' };

export interface Sent {
  statusCode: number;
  json(): any;
}
export type Send = (request: { method: string; url: string; payload?: unknown; headers?: Record<string, string> }) => Promise<Sent>;

/** Requests through Fastify's inject, for an app in this process. */
export const viaInject =
  (app: NestFastifyApplication): Send =>
  async ({ method, url, payload, headers }) =>
    app.inject({ method: method as 'GET', url, payload: payload as object, headers });

/** Requests over HTTP, for an API in a child process. */
export const viaHttp =
  (baseUrl: string): Send =>
  async ({ method, url, payload, headers }) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await response.text();
    return { statusCode: response.status, json: () => JSON.parse(text) };
  };

export interface SignedIn {
  userId: number;
  email: string;
  token: string;
  /** `{ authorization: 'Bearer …' }`, to spread into a request's headers. */
  headers: Record<string, string>;
}

async function login(send: Send, email: string, password: string): Promise<SignedIn> {
  const response = await send({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (response.statusCode !== 200) throw new Error(`login ${email}: ${response.statusCode} ${JSON.stringify(response.json())}`);
  const { token, user } = response.json() as { token: string; user: { id: number } };
  return { userId: user.id, email, token, headers: { authorization: `Bearer ${token}` } };
}

/** A signed-in user with the role: the first admin, or a new account (promoted by the admin for staff). */
export async function signIn(send: Send, role: Role): Promise<SignedIn> {
  if (role === 'admin') return login(send, TEST_ADMIN.email, TEST_ADMIN.password);
  const email = `${role}-${randomBytes(6).toString('hex')}@example.test`;
  const password = 'a test passphrase';
  const registered = await send({ method: 'POST', url: '/auth/register', payload: { email, password } });
  if (registered.statusCode !== 201) throw new Error(`register ${email}: ${registered.statusCode}`);
  if (role !== 'customer') {
    const admin = await login(send, TEST_ADMIN.email, TEST_ADMIN.password);
    const promoted = await send({ method: 'PATCH', url: `/auth/users/${registered.json().id}`, payload: { role }, headers: admin.headers });
    if (promoted.statusCode !== 200) throw new Error(`promote ${email}: ${promoted.statusCode}`);
  }
  return login(send, email, password);
}
