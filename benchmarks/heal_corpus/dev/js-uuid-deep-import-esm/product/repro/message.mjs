import uuidv4 from 'uuid/v4';
console.log(uuidv4());
