import { asyncMemoizer } from './async';
import { syncMemoizer } from './sync';

export = Object.assign(asyncMemoizer, { sync: syncMemoizer });
