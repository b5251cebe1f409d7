export interface Item {
  id: string;
}

export const first = (items: Item[]): Item | undefined => items[0];
