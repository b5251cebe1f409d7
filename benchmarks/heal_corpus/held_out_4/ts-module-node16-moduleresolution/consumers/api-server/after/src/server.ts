import { routes } from './routes';

export function dispatch(path: string) {
  for (const [pattern, handler] of Object.entries(routes)) {
    const names: string[] = [];
    const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_m, n: string) => { names.push(n); return '([^/]+)'; }) + '$');
    const m = re.exec(path);
    if (m) {
      const params: Record<string, string> = {};
      names.forEach((n, i) => { params[n] = m[i + 1]; });
      return handler(params);
    }
  }
  return { status: 404, body: null };
}
