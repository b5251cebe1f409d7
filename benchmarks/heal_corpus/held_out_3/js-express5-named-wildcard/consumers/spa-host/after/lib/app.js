'use strict';

const path = require('path');
const express = require('express');

const PUBLIC = path.join(__dirname, '..', 'public');

// Static files, and index.html for every other path (the client-side router takes it from there).
function createApp() {
  const app = express();
  app.use(express.static(PUBLIC, { index: false }));
  app.get('/{*splat}', (req, res) => res.sendFile(path.join(PUBLIC, 'index.html')));
  return app;
}

module.exports = { createApp };
