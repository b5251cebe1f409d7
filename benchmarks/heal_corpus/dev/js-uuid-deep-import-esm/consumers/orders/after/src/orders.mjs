import { v4 as uuidv4 } from 'uuid';

export function createOrder(items) {
  return { id: uuidv4(), items, createdAt: Date.now() };
}

console.log(createOrder(['book']).items.length);
