import { DomainError } from '@saas/server';

/** How a list is ordered; every order ends with the id, so positions are unique. */
export const PRODUCT_SORTS = ['newest', 'price_asc', 'price_desc'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** Keyset position: the sort key and id of the last row of the previous page. */
export type Cursor = { sort: 'newest'; createdAt: string; id: string } | { sort: 'price_asc' | 'price_desc'; priceCents: number; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class MalformedCursorError extends DomainError {
  constructor() {
    super('catalog.malformed_cursor', 'The cursor is malformed, or from a list in another order; use nextCursor from the previous page.', 400);
  }
}

const encode = (value: unknown[]) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** newest: [createdAt, id] (the format cursors had before lists could be sorted); by price: [sort, price, id]. */
export const encodeCursor = (cursor: Cursor) =>
  cursor.sort === 'newest' ? encode([cursor.createdAt, cursor.id]) : encode([cursor.sort, cursor.priceCents, cursor.id]);

/** The position in a list ordered by `sort`; a cursor from a list in another order is refused. */
export function decodeCursor(raw: string, sort: ProductSort): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedCursorError();
  }
  if (!Array.isArray(value)) throw new MalformedCursorError();
  const id = value[value.length - 1];
  if (typeof id !== 'string' || !UUID.test(id)) throw new MalformedCursorError();
  if (sort === 'newest' && value.length === 2 && typeof value[0] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
    return { sort, createdAt: value[0], id };
  }
  if (sort !== 'newest' && value.length === 3 && value[0] === sort && Number.isSafeInteger(value[1])) {
    return { sort, priceCents: value[1] as number, id };
  }
  throw new MalformedCursorError();
}
