const express = require('express');

// Everything under /api/ is answered by the backend of its version; here the
// backend is a function of (method, path) so the routes can be tried offline.
function apiRouter(backend) {
  const router = express.Router();
  router.get('/health', (req, res) => res.json({ ok: true }));
  router.all('/api/v1/*', (req, res) => res.json(backend('v1', req.method, req.originalUrl)));
  router.all('/api/v2/*', (req, res) => res.json(backend('v2', req.method, req.originalUrl)));
  return router;
}

module.exports = { apiRouter };
