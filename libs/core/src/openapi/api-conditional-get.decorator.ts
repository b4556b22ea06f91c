import { applyDecorators, Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ApiErrors } from './api-errors.decorator';

const VALIDATORS = {
  ETag: { description: 'Strong validator of this representation; send it back in If-None-Match', schema: { type: 'string', example: '"3kq0bQnTmHqWbxkV1e0RZ1mXbXo"' } },
  'Cache-Control': {
    description: 'Public: browsers and CDNs may keep the answer for `max-age` seconds, then serve it while revalidating (HTTP_CACHE_MAX_AGE_SECONDS, HTTP_CACHE_SWR_SECONDS)',
    schema: { type: 'string', example: 'public, max-age=5, stale-while-revalidate=30' },
  },
};

/**
 * A public read that supports conditional requests: 200 with `ETag` and `Cache-Control`, or 304
 * with no body when `If-None-Match` names the current representation; 412 when `If-Match` names
 * none of them.
 */
export function ApiConditionalGet(type: Type<unknown> | [Type<unknown>]): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag this client holds: 304 Not Modified when it is still current' }),
    ApiHeader({ name: 'If-Match', required: false, description: 'ETags (or `*`): the answer is sent only while one of them is current (strong comparison), else 412 PRECONDITION_FAILED' }),
    ApiErrors({ 412: ['PRECONDITION_FAILED'] }),
    ApiResponse({ status: 200, type, headers: VALIDATORS }),
    ApiResponse({ status: 304, description: 'Not Modified: the representation named in If-None-Match is current (no body)', headers: VALIDATORS }),
  );
}

/** The ETag a written resource's answer carries: the one its GET now answers, for the next `If-Match`. */
export const WRITTEN_ETAG = {
  ETag: { description: 'The ETag a GET of the resource now answers: send it in If-Match with the next write', schema: { type: 'string', example: '"3kq0bQnTmHqWbxkV1e0RZ1mXbXo"' } },
};

/** A write that takes `If-Match`: 412 PRECONDITION_FAILED, changing nothing, when it names no current representation. */
export function ApiConditionalWrite(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description:
        'ETags from this resource\'s GET (or `*`): the write happens only while one of them is still current, else 412 PRECONDITION_FAILED and nothing changes. Without it the write is unconditional.',
    }),
    ApiErrors({ 412: ['PRECONDITION_FAILED'] }),
  );
}
