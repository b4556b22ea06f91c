import { Writable } from 'node:stream';
import type pino from 'pino';
import { createRootLogger, LazyChildLogger, PinoNestLogger } from './logger';

function capture(): { lines: () => Array<Record<string, unknown>>; logger: pino.Logger } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createRootLogger({ log: { level: 'trace' } }, 'test', stream);
  return { logger, lines: () => chunks.join('').trim().split('\n').map((line) => JSON.parse(line)) };
}

describe('PinoNestLogger', () => {
  it('writes one JSON object per line with Nest context', () => {
    const { logger, lines } = capture();
    new PinoNestLogger(logger).log('ready', 'Bootstrap');
    expect(lines()[0]).toMatchObject({ level: 30, msg: 'ready', context: 'Bootstrap', service: 'test' });
  });

  it('keeps the stack of an error', () => {
    const { logger, lines } = capture();
    new PinoNestLogger(logger).error('failed', 'Error: x\n    at y', 'Filter');
    expect(lines()[0]).toMatchObject({ level: 50, msg: 'failed', context: 'Filter', stack: 'Error: x\n    at y' });
  });

  it('never writes credentials from request headers', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer secret-session', cookie: 'sid=abc' } } }, 'request');
    const text = JSON.stringify(lines()[0]);
    expect(text).not.toContain('secret-session');
    expect(text).not.toContain('sid=abc');
  });
});

describe('LazyChildLogger', () => {
  it('makes no pino child until it writes, then writes with its bindings', () => {
    const { logger, lines } = capture();
    const child = jest.spyOn(logger, 'child');
    const lazy = new LazyChildLogger(logger, { reqId: 'r-1' }, {});
    expect(child).not.toHaveBeenCalled();
    lazy.warn({ productId: 7 }, 'slow');
    lazy.info('again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines()).toEqual([expect.objectContaining({ reqId: 'r-1', productId: 7, msg: 'slow', level: 40 }), expect.objectContaining({ reqId: 'r-1', msg: 'again' })]);
  });

  it('skips a level that is off without making the child, and honours a route level', () => {
    const { logger, lines } = capture();
    logger.level = 'warn';
    const child = jest.spyOn(logger, 'child');
    new LazyChildLogger(logger, { reqId: 'r-2' }, {}).info('dropped');
    expect(child).not.toHaveBeenCalled();
    const quiet = new LazyChildLogger(logger, { reqId: 'r-3' }, { level: 'error' });
    quiet.warn('dropped too');
    quiet.error('kept');
    expect(lines().map((line) => line.msg)).toEqual(['kept']);
  });
});
