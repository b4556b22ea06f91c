import { hash } from 'node:crypto';
import { JsonRepresentation, Representations } from '@stockroom/core';
import type { Rendering } from '@stockroom/cache';
import type { Product } from './product.entity';
import { ProductResponse } from './dto/product.response';

/** Each product is rendered (JSON and ETag) once per object: an L1 hit reuses it. */
export const productJson = new Representations<Product>(ProductResponse.from);

/**
 * What the cache stores beside a product, and reads back on a Redis hit: ETag and body on two
 * lines (a JSON body has no raw newline). Its version is the shape it was made with: a deploy that
 * changes `ProductResponse.from` changes it, and older renderings are ignored rather than served.
 */
export const productJsonRendering: Rendering<Product> = {
  version: hash('sha1', ProductResponse.from.toString(), 'base64url').slice(0, 10),
  render(product) {
    const representation = productJson.of(product);
    return `${representation.etag}\n${representation.body}`;
  },
};

/** The representation a rendering holds. */
export function fromProductJsonRendering(rendering: string): JsonRepresentation {
  const etagEnd = rendering.indexOf('\n');
  return new JsonRepresentation(rendering.slice(etagEnd + 1), rendering.slice(0, etagEnd));
}
