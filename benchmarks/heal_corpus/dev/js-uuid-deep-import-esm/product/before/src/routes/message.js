import uuidv4 from 'uuid/v4';

const board = new Map();

export function pin(text) {
  const key = uuidv4();
  board.set(key, { key, text, at: Date.now() });
  return key;
}

export function unpin(key) {
  return board.delete(key);
}

console.log(pin('remember the milk').length);
