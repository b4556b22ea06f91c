/**
 * A typed client for the Stockroom API, for front ends: the types are generated from
 * `openapi.json` by openapi-typescript (`npm run client:generate`, also run by `npm run openapi`
 * and `npm test`), the calls are openapi-fetch's. Paths, parameters, bodies, answers and error
 * codes are all checked by the compiler:
 *
 *   const api = createStockroomClient('https://shop.example', { token: () => session?.token });
 *   const { data, error } = await api.POST('/orders', { body: { items }, params: { header: { 'Idempotency-Key': key } } });
 *   if (error?.code === 'INSUFFICIENT_STOCK') showShortLines(error.details);
 */
import createClient from 'openapi-fetch';
import type { Client, ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths } from './schema';
export type Schemas = components['schemas'];
export type ErrorCode = Schemas['ErrorCode'];
export type ErrorResponse = Schemas['ErrorResponse'];
export type Product = Schemas['ProductResponse'];
export type Order = Schemas['OrderResponse'];
export type OrderStatus = Schemas['OrderStatus'];

export type StockroomClient = Client<paths>;

export interface StockroomClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The session token to send as `Authorization: Bearer` (browsers may rely on the `sid` cookie instead). */
  token?: () => string | undefined;
}

export function createStockroomClient(baseUrl: string, options: StockroomClientOptions = {}): StockroomClient {
  const { token, ...rest } = options;
  const client = createClient<paths>({ baseUrl, ...rest });
  if (token) {
    client.use({
      onRequest({ request }) {
        const value = token();
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}
