// Key order of the v3 JSON files, so that formatted diffs stay small.

const CORE_KEYS = ['id', 'name', 'latestVersion', 'releases'];
const PACKAGE_KEYS = ['id', 'name', 'author', 'latestVersion', 'files', 'releases'];

function pick(object, keys) {
  const sorted = {};
  for (const key of keys) {
    if (key in object) sorted[key] = object[key];
  }
  for (const key of Object.keys(object).sort()) {
    if (!(key in sorted)) sorted[key] = object[key];
  }
  return sorted;
}

export function sortCore(object) {
  return {
    version: object.version,
    core: object.core
      .map((program) => pick(program, CORE_KEYS))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
}

export function sortPackages(object) {
  return {
    version: object.version,
    packages: object.packages.map((p) => pick(p, PACKAGE_KEYS)),
  };
}
