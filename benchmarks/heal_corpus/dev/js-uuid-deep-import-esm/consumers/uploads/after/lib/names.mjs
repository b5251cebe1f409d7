import path from 'node:path';
import { v4 as uuidv4 } from 'uuid';

export const storedName = (file) => `${uuidv4()}${path.extname(file)}`;

console.log(storedName('a.png').endsWith('.png'));
