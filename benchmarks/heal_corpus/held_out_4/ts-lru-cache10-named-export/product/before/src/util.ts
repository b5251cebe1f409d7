import LRU from 'lru-cache';

export type Hasher = (...args: any[]) => string;

export interface IParamsBaseCommons {
  /** The largest number of results to keep. */
  max?: number;
  /** How long (ms) a result is kept, for every key. */
  maxAge?: number;
  /** Copy results so that callers cannot change what the cache holds. */
  clone?: boolean;
}

export type LruOptions = LRU.Options<string, any>;

export function lruOptions(options: IParamsBaseCommons): LruOptions {
  const opts: LruOptions = { max: options.max || 100 };
  if (options.maxAge) {
    opts.ttl = options.maxAge;
  }
  return opts;
}

export function defaultHash(...args: any[]): string {
  return JSON.stringify(args);
}

export function maybeClone<T>(clone: boolean | undefined, value: T): T {
  return clone ? JSON.parse(JSON.stringify(value)) : value;
}
