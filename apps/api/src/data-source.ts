import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigFromProcess } from '@stockroom/core';
import { buildDataSourceOptions } from '@stockroom/database';
import { Product } from '@stockroom/catalog';
import { Category } from '@stockroom/categories';
import { StockMovement } from '@stockroom/inventory';
import { User } from '@stockroom/auth';
import { Order, OrderLine } from '@stockroom/orders';

/** For the TypeORM CLI (`npm run migration:*`): the same options the app uses. */
export default new DataSource(buildDataSourceOptions(loadConfigFromProcess(), [Product, Category, StockMovement, User, Order, OrderLine]));
