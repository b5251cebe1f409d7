'use strict';

const path = require('path');
const { glob } = require('glob');

// Call back with the output path of every page: pages/a/b.md -> a/b.html
function listPages(root, callback) {
  glob('**/*.md', { cwd: path.join(root, 'pages') }).then(function (files) {
    callback(null, files.sort().map((f) => f.replace(/\.md$/, '.html')));
  }, callback);
}

module.exports = { listPages };
