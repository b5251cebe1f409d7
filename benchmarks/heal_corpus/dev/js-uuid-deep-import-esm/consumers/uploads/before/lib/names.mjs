import path from 'node:path';
import uuidv4 from 'uuid/v4';

export const storedName = (file) => `${uuidv4()}${path.extname(file)}`;

console.log(storedName('a.png').endsWith('.png'));
