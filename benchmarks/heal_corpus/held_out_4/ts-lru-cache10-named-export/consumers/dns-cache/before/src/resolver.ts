import LRU = require('lru-cache');

type Lookup = (host: string) => string[];

export function cachedLookup(lookup: Lookup, max = 100) {
  const cache = new LRU<string, string[]>({ max });
  const resolve = (host: string): string[] => {
    let addrs = cache.get(host);
    if (!addrs) {
      addrs = lookup(host);
      cache.set(host, addrs);
    }
    return addrs;
  };
  const stats = () => ({ entries: cache.itemCount, max });
  return { resolve, stats };
}
