'use strict';

const path = require('path');
const mime = require('mime');

function headersFor(file, size) {
  return {
    'Content-Type': mime.getType(file),
    'Content-Length': String(size),
    'Cache-Control': path.basename(file).startsWith('index.') ? 'no-cache' : 'max-age=3600',
  };
}

module.exports = { headersFor };
