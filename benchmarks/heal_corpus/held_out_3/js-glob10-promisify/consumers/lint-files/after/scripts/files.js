const { glob } = require('glob');

// The source files to lint: every .js under src/, tests left out.
async function sourceFiles() {
  const files = await glob('src/**/*.js', { ignore: ['**/*.test.js'] });
  return files.sort();
}

module.exports = { sourceFiles };
