export * from './data-source-options';
export * from './database.module';
export * from './database-preflight';
export * from './migration-runner';
export * from './mysql-errors';
export { migrations } from './migrations';
export * from './column-transformers';
export * from './unit-of-work';
export * from './group-commit';
