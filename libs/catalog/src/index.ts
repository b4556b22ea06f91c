export * from './product.entity';
export * from './product.repository';
export * from './product.service';
export * from './catalog.errors';
export * from './catalog.module';
export * from './catalog-seeder';
export * from './sample-catalog';
export * from './dto/product.response';
