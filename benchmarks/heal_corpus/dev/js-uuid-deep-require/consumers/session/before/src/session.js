'use strict';
const crypto = require('crypto');
const uuid = require('uuid/v4');

function token() {
  return crypto.createHash('sha256').update(uuid()).digest('hex');
}

console.log(token().length);
