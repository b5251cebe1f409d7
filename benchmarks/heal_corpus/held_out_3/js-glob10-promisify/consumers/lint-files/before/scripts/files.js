const { promisify } = require('util');

const globP = promisify(require('glob'));

// The source files to lint: every .js under src/, tests left out.
async function sourceFiles() {
  const files = await globP('src/**/*.js', { ignore: ['**/*.test.js'] });
  return files.sort();
}

module.exports = { sourceFiles };
