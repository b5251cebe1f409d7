import uuidv4 from 'uuid/v4';

export function createOrder(items) {
  return { id: uuidv4(), items, createdAt: Date.now() };
}

console.log(createOrder(['book']).items.length);
