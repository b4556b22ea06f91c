import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { foreignKeyRefusal, isDuplicateKeyError, onPrimary, UnitOfWork } from '@stockroom/database';
import { CategoryNotFoundError } from '@stockroom/catalog';
import { PreconditionFailedError } from '@stockroom/core';
import { Category } from './category.entity';
import { CategoryCycleError, CategorySlugTakenError } from './categories.errors';

/** What a conditional write requires of the category's row, read under the write's lock (If-Match). */
export type CategoryPrecondition = (current: Category) => boolean;

export interface NewCategory {
  name: string;
  slug: string;
  parentId: number | null;
}

export type CategoryChanges = Partial<NewCategory>;

/** Every statement on `categories`. No caching here: the service caches what it serves. */
@Injectable()
export class CategoryRepository {
  constructor(
    @InjectRepository(Category) private readonly categories: Repository<Category>,
    private readonly work: UnitOfWork,
  ) {}

  /**
   * All of them, on the primary: the answer is cached for a day and retired by the writes, so it must
   * not come from a replica that has not seen the write yet.
   */
  all(): Promise<Category[]> {
    return onPrimary(this.categories.manager.connection, (manager) => manager.find(Category, { order: { name: 'ASC', id: 'ASC' } }));
  }

  async create(input: NewCategory): Promise<Category> {
    try {
      const result = await this.categories.manager.insert(Category, input);
      return await onPrimary(this.categories.manager.connection, (manager) => manager.findOneByOrFail(Category, { id: (result.identifiers[0] as { id: number }).id }));
    } catch (error) {
      throw this.refusal(error, input);
    }
  }

  /**
   * A new parent is checked for cycles with every category's row locked, in id order: parent
   * changes are serialised (two crossing moves cannot each pass the check), and they are rare.
   */
  async update(id: number, changes: CategoryChanges, precondition?: CategoryPrecondition): Promise<Category | null> {
    try {
      return await this.work.run(async () => {
        const { manager } = this.work;
        if (changes.parentId != null) {
          const rows = (await manager.query('SELECT id, parent_id FROM categories ORDER BY id FOR UPDATE')) as Array<{ id: number; parent_id: number | null }>;
          const parents = new Map(rows.map((row) => [Number(row.id), row.parent_id === null ? null : Number(row.parent_id)]));
          if (!parents.has(id)) return null;
          if (!parents.has(changes.parentId)) throw new CategoryNotFoundError(changes.parentId);
          for (let at: number | null | undefined = changes.parentId; at != null; at = parents.get(at)) {
            if (at === id) throw new CategoryCycleError(id, changes.parentId);
          }
        }
        // After the tree's lock when moving (taken in id order), so the lock order stays the same.
        if (precondition && !(await this.lockedHolding(id, precondition))) return null;
        const result = await manager.update(Category, { id }, changes);
        return result.affected ? manager.findOneBy(Category, { id }) : null;
      });
    } catch (error) {
      throw this.refusal(error, changes);
    }
  }

  /** `'missing'`, `'products'` or `'subcategories'` when refused; the products are asked of the catalogue in the same transaction. */
  async delete(id: number, hasProducts: (id: number) => Promise<boolean>, precondition?: CategoryPrecondition): Promise<'deleted' | 'missing' | 'products' | 'subcategories'> {
    return this.work.run(async () => {
      const { manager } = this.work;
      // Locked first: a product write into this category holds it in share mode until its commit.
      if (!(await this.lockedHolding(id, precondition))) return 'missing';
      if (await hasProducts(id)) return 'products';
      try {
        await manager.query('DELETE FROM categories WHERE id = ?', [id]);
      } catch (error) {
        if (foreignKeyRefusal(error, 'FK_categories_parent') === 'referenced') return 'subcategories';
        throw error;
      }
      return 'deleted';
    });
  }

  /** Locks the row for the write: false when there is none, 412 when a precondition does not hold for it. */
  private async lockedHolding(id: number, precondition?: CategoryPrecondition): Promise<boolean> {
    const current = await this.work.manager.findOne(Category, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!current) return false;
    if (precondition && !precondition(current)) throw new PreconditionFailedError(`Category ${id}`);
    return true;
  }

  /** In the catalogue's open unit of work: the row share-locked until its commit; false when there is none. */
  async holdInShareMode(id: number): Promise<boolean> {
    const rows = (await this.work.manager.query('SELECT id FROM categories WHERE id = ? LOCK IN SHARE MODE', [id])) as unknown[];
    return rows.length > 0;
  }

  private refusal(error: unknown, input: CategoryChanges): unknown {
    if (input.slug !== undefined && isDuplicateKeyError(error, 'UQ_categories_slug')) return new CategorySlugTakenError(input.slug);
    if (input.parentId != null && foreignKeyRefusal(error, 'FK_categories_parent') === 'missing') return new CategoryNotFoundError(input.parentId);
    return error;
  }
}
