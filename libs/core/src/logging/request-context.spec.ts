import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import Fastify from 'fastify';
import { configureFastify, requestIdFor } from '../http/fastify-setup';
import { InFlightRequests } from '../http/in-flight';
import { createRootLogger, PinoNestLogger } from './logger';

describe('request ids on every log line', () => {
  it('a service\'s line written while serving a request carries that request\'s id, and none outside', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    Logger.overrideLogger(new PinoNestLogger(createRootLogger({ log: { level: 'info' } }, 'test', stream)));
    const service = new Logger('Inventory');
    const fastify = Fastify({ genReqId: requestIdFor });
    configureFastify(fastify, { inFlight: new InFlightRequests() });
    // The context starts before the route's own hooks: one that awaits still logs with the id.
    const routeHook = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      service.warn('after an await in a route hook');
    };
    fastify.get('/work', { onRequest: routeHook }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      service.warn('low stock');
      return { ok: true };
    });
    try {
      const answers = await Promise.all(['req-a', 'req-b'].map((id) => fastify.inject({ method: 'GET', url: '/work', headers: { 'x-request-id': id } })));
      expect(answers.map((answer) => answer.headers['x-request-id'])).toEqual(['req-a', 'req-b']);
      service.log('between requests');
      const lines = chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.filter((line) => line.msg === 'low stock').map((line) => line.reqId).sort()).toEqual(['req-a', 'req-b']);
      expect(lines.find((line) => line.msg === 'between requests')).not.toHaveProperty('reqId');
      expect(lines.filter((line) => line.msg === 'after an await in a route hook').map((line) => line.reqId).sort()).toEqual(['req-a', 'req-b']);
    } finally {
      await fastify.close();
      Logger.overrideLogger(new Logger());
    }
  });
});
