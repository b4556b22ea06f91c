import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { DomainError, STAFF_ROLES, toErrorResponse } from '@stockroom/core';
import { AccessGuard } from '@stockroom/auth';
import { ORDERS_QUEUE } from '@stockroom/orders';

export const QUEUE_BOARD_PATH = '/admin/queues';
const ADMIN_ONLY = ['admin'] as const;

/**
 * Bull Board at /admin/queues: staff may look, only admins may change anything (retry, remove,
 * pause, empty or obliterate a queue, remove the maintenance schedule's job). It is a Fastify
 * plugin, outside Nest's guards, so the same access check runs in an onRequest hook of its own
 * scope, by method: every mutating route of the board's API is a PUT, POST or DELETE.
 */
export async function mountQueueBoard(app: NestFastifyApplication): Promise<void> {
  const board = new BoardAdapter();
  createBullBoard({ queues: [new BullMQAdapter(app.get<Queue>(getQueueToken(ORDERS_QUEUE)))], serverAdapter: board });
  board.setBasePath(QUEUE_BOARD_PATH);
  const access = app.get(AccessGuard);
  await app.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', async (request, reply) => {
        try {
          await access.authorize(request, request.method === 'GET' || request.method === 'HEAD' ? STAFF_ROLES : ADMIN_ONLY);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          await reply
            .status(error.status)
            .headers(error.headers ?? {})
            .send(toErrorResponse(error));
        }
      });
      await scope.register(board.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
}
