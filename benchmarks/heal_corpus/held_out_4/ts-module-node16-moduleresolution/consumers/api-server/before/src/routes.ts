export type Handler = (params: Record<string, string>) => { status: number; body: unknown };

export const routes: Record<string, Handler> = {
  '/health': () => ({ status: 200, body: { ok: true } }),
  '/users/:id': (params) => ({ status: 200, body: { id: Number(params.id) } }),
};
