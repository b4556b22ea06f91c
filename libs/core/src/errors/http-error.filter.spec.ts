import { BadRequestException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { DomainError, MalformedJsonError, ValidationFailedError } from './domain-error';
import type { ArgumentsHost } from '@nestjs/common';
import { HttpErrorFilter, toErrorResponse } from './http-error.filter';

class OutOfWidgetsError extends DomainError {
  readonly status = 409;
  readonly code = 'OUT_OF_WIDGETS';
}

describe('toErrorResponse', () => {
  it('maps a domain error to its status, code, message and details', () => {
    expect(toErrorResponse(new OutOfWidgetsError('none left', { widget: 3 }))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'OUT_OF_WIDGETS',
      message: 'none left',
      details: { widget: 3 },
    });
  });

  it('lists the fields of a validation failure', () => {
    const response = toErrorResponse(new ValidationFailedError([{ field: 'price', problems: ['bad'] }]));
    expect(response).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', details: [{ field: 'price', problems: ['bad'] }] });
  });

  it('maps malformed JSON to 400 MALFORMED_JSON', () => {
    expect(toErrorResponse(new MalformedJsonError('Unexpected token'))).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
  });

  it('maps an unknown route to ROUTE_NOT_FOUND and other HTTP exceptions by status', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x')).code).toBe('ROUTE_NOT_FOUND');
    expect(toErrorResponse(new BadRequestException('nope')).code).toBe('BAD_REQUEST');
    expect(toErrorResponse(new HttpException('big', 413))).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', error: 'Payload Too Large' });
  });

  it('keeps a structured exception body as details', () => {
    const body = { status: 'error', error: { redis: { status: 'down' } } };
    expect(toErrorResponse(new ServiceUnavailableException(body))).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE', details: body });
  });

  it('never leaks an unknown error: 500 with a generic message', () => {
    const response = toErrorResponse(new Error("ER_PARSE_ERROR near 'SELECT * FROM users'"));
    expect(response).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL_ERROR', message: 'Internal server error' });
    expect(toErrorResponse('a string').statusCode).toBe(500);
    expect(toErrorResponse(null).statusCode).toBe(500);
  });

  it('keeps a 4xx raised by a library with a statusCode', () => {
    expect(toErrorResponse(Object.assign(new Error('too slow'), { statusCode: 408 }))).toMatchObject({ statusCode: 408, code: 'BAD_REQUEST' });
    expect(toErrorResponse(Object.assign(new Error('boom'), { statusCode: 502 })).statusCode).toBe(500);
  });
});

describe('HttpErrorFilter logging', () => {
  class StoreAwayError extends DomainError {
    readonly status = 503;
    readonly code = 'STORE_AWAY';
  }

  function catchWith(exception: unknown): { warn: string[]; error: string[] } {
    const filter = new HttpErrorFilter();
    const logged = { warn: [] as string[], error: [] as string[] };
    Object.assign(filter, { logger: { warn: (m: string) => logged.warn.push(m), error: (m: string) => logged.error.push(m) } });
    const reply = { sent: false, headers: () => reply, status: () => reply, header: () => reply, send: () => reply };
    filter.catch(exception, { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost);
    return logged;
  }

  it('logs an expected 5xx (a dependency away) as one warning line without a stack', () => {
    const logged = catchWith(new StoreAwayError('try again shortly'));
    expect(logged).toEqual({ warn: ['STORE_AWAY: try again shortly'], error: [] });
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE for a server that cannot be reached, logged as one warning', () => {
    // What TypeORM throws when mysql2 finds the database gone: the socket error rides on driverError.
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), { driverError: { code: 'PROTOCOL_CONNECTION_LOST' } });
    expect(toErrorResponse(lost)).toMatchObject({ statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    expect(toErrorResponse(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).statusCode).toBe(503);
    expect(toErrorResponse(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) })).statusCode).toBe(503);
    expect(toErrorResponse(Object.assign(new Error('dup'), { driverError: { code: 'ER_DUP_ENTRY' } })).statusCode).toBe(500);
    expect(catchWith(lost)).toEqual({ warn: ['DEPENDENCY_UNAVAILABLE: Connection lost: The server closed the connection.'], error: [] });
  });

  it('answers 503 DEPENDENCY_UNAVAILABLE for a database too busy to decide now (a deadlock past its retries, a lock wait timeout)', () => {
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { driverError: { code: 'ER_LOCK_DEADLOCK', errno: 1213 } });
    const lockWait = Object.assign(new Error('Lock wait timeout exceeded'), { driverError: { code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 } });
    expect([toErrorResponse(deadlock), toErrorResponse(lockWait)]).toMatchObject([
      { statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE' },
      { statusCode: 503, code: 'DEPENDENCY_UNAVAILABLE' },
    ]);
    expect(catchWith(deadlock)).toEqual({ warn: ['DEPENDENCY_UNAVAILABLE: Deadlock found when trying to get lock'], error: [] });
  });

  it('logs an unexpected error with its stack', () => {
    const logged = catchWith(new Error('boom'));
    expect(logged.warn).toEqual([]);
    expect(logged.error[0]).toMatch(/^Error: boom\n\s+at /);
  });
});
