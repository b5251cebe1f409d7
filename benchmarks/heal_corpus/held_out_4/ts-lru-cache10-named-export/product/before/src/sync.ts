import LRU from 'lru-cache';
import { defaultHash, Hasher, IParamsBaseCommons, lruOptions, maybeClone } from './util';

export interface SyncParams<TResult> extends IParamsBaseCommons {
  load: (...args: any[]) => TResult;
  hash?: Hasher;
  itemMaxAge?: (...argsAndResult: any[]) => number;
}

export interface SyncMemoized<TResult> {
  (...args: any[]): TResult;
  reset(): void;
  keys(): string[];
  del(...args: any[]): void;
}

export function syncMemoizer<TResult>(options: SyncParams<TResult>): SyncMemoized<TResult> {
  const cache      = new LRU(lruOptions(options));
  const load       = options.load;
  const hash       = options.hash || defaultHash;
  const itemMaxAge = options.itemMaxAge;

  const result = function (...args: any[]): TResult {
    const key = hash(...args);
    const fromCache = cache.get(key);
    if (fromCache !== undefined) {
      return maybeClone(options.clone, fromCache);
    }
    const value = load(...args);
    if (itemMaxAge) {
      cache.set(key, value, itemMaxAge(...args.concat([ value ])));
    } else {
      cache.set(key, value);
    }
    return maybeClone(options.clone, value);
  } as SyncMemoized<TResult>;

  result.reset = () => cache.reset();
  result.keys = cache.keys.bind(cache);
  result.del = function (...args: any[]) {
    const key = hash(...args);
    cache.del(key);
  };

  return result;
}
