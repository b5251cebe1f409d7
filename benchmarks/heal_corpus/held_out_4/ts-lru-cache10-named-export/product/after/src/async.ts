import { LRUCache } from 'lru-cache';
import { defaultHash, Hasher, IParamsBaseCommons, lruOptions, maybeClone } from './util';

type Callback = (err: Error | null, ...results: any[]) => void;

export interface AsyncParams extends IParamsBaseCommons {
  load: (...argsAndCallback: any[]) => void;
  hash?: Hasher;
  itemMaxAge?: (...argsAndResults: any[]) => number;
}

export interface AsyncMemoized {
  (...argsAndCallback: any[]): void;
  reset(): void;
  keys(): string[];
  del(...args: any[]): void;
}

export function asyncMemoizer(options: AsyncParams): AsyncMemoized {
  const cache      = new LRUCache(lruOptions(options));
  const load       = options.load;
  const hash       = options.hash || defaultHash;
  const itemMaxAge = options.itemMaxAge;
  const pending    = new Map<string, Callback[]>();

  const memoized = function (...argsAndCallback: any[]) {
    const callback: Callback = argsAndCallback.pop();
    const parameters = argsAndCallback;
    const key = hash(...parameters);
    const fromCache = cache.get(key);
    if (fromCache !== undefined) {
      return callback(null, ...maybeClone(options.clone, fromCache));
    }
    if (pending.has(key)) {
      pending.get(key)!.push(callback);
      return;
    }
    pending.set(key, [callback]);
    load(...parameters, (err: Error | null, ...result: any[]) => {
      const waiting = pending.get(key) || [];
      pending.delete(key);
      if (!err) {
        if (itemMaxAge) {
          cache.set(key, result, {ttl: itemMaxAge(...parameters.concat(result))});
        } else {
          cache.set(key, result);
        }
      }
      waiting.forEach((cb) => (err ? cb(err) : cb(null, ...maybeClone(options.clone, result))));
    });
  } as AsyncMemoized;

  memoized.reset = () => cache.clear();
  memoized.keys = () => [...cache.keys()];
  memoized.del = function (...args: any[]) {
    const key = hash(...args);
    cache.delete(key);
  };

  return memoized;
}
