import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StatsCoreModule } from '@stockroom/stats';
import { IdempotencyModule } from '@stockroom/idempotency';
import { InventoryCoreModule } from '@stockroom/inventory';
import { CatalogCoreModule } from '@stockroom/catalog';
import { UnitOfWork } from '@stockroom/database';
import { Order, OrderLine } from './order.entity';
import { OrderRepository } from './order.repository';
import { OrderQueue } from './order-queue';
import { OrderProcessing } from './order-processing.service';
import { PaymentGateway } from './payment.gateway';
import { OrderMetrics } from './order-metrics';
import { OrdersService } from './orders.service';
import { OrderIntake } from './order-intake';
import { OrdersController } from './orders.controller';
import { OrderWorker } from './order.worker';
import { QueueModule } from './queue.module';
import { OrderStatusFeed } from './order-status-feed';

/** Orders without HTTP: storage, the queue, processing. Shared by the API and the worker app. */
@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderLine]), QueueModule, StatsCoreModule, InventoryCoreModule, CatalogCoreModule],
  providers: [OrderRepository, OrderQueue, OrderProcessing, PaymentGateway, OrderMetrics, OrdersService, OrderIntake, OrderStatusFeed, UnitOfWork],
  exports: [OrderRepository, OrderQueue, OrderProcessing, OrderMetrics, OrdersService, OrderIntake, OrderStatusFeed, QueueModule],
})
export class OrdersCoreModule {}

/** `POST /orders`, `GET /orders`, `GET /orders/:id`, `GET /orders/:id/events`: the producer side, in the API. */
@Module({ imports: [OrdersCoreModule, IdempotencyModule], controllers: [OrdersController] })
export class OrdersModule {}

/** The consumer side: the BullMQ worker and its maintenance schedule (worker app, or the API with WORKER_INLINE). */
@Module({ imports: [OrdersCoreModule], providers: [OrderWorker] })
export class OrdersWorkerModule {}
