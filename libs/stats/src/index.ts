export * from './counter-buffer';
export * from './stats.keys';
export * from './stats.service';
export * from './views-write-behind';
export * from './views-ranking';
export * from './stats.module';
export * from './recently-viewed';
