'use strict';
const crypto = require('crypto');
const { v4: uuid } = require('uuid');

function token() {
  return crypto.createHash('sha256').update(uuid()).digest('hex');
}

console.log(token().length);
