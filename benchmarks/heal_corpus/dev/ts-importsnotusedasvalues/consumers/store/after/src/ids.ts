import type { Item } from './item';

export function ids(items: Item[]): string[] {
  return items.map((i) => i.id);
}
