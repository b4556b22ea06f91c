export * from './category.entity';
export * from './category.service';
export * from './categories.errors';
export * from './categories.module';
export * from './dto/category.response';
export * from './dto/create-category.dto';
export * from './dto/update-category.dto';
