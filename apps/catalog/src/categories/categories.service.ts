import { Injectable } from '@nestjs/common';
import { Database } from '@saas/data';
import { ConflictError } from '@saas/server';
import { Category } from '../products/product.entity';
import type { CategoryDto, CreateCategoryDto } from './dtos/categories.dto';

@Injectable()
export class CategoriesService {
  constructor(private readonly db: Database) {}

  list(): Promise<CategoryDto[]> {
    return this.db.read((em) => em.getRepository(Category).find({ order: { name: 'ASC' } }));
  }

  create(dto: CreateCategoryDto): Promise<CategoryDto> {
    return this.db.write(async (em) => {
      const inserted = await em.getRepository(Category).createQueryBuilder().insert().values(dto).orIgnore().returning('*').execute();
      if (!inserted.raw.length) throw new ConflictError('catalog.category_exists', `A category with slug ${dto.slug} exists.`);
      const row = inserted.raw[0] as CategoryDto;
      return { id: row.id, name: row.name, slug: row.slug };
    });
  }
}
