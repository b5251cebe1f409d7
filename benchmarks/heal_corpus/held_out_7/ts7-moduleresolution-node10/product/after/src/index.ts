import routes from "./routes.json";
import { CORS_HEADERS, withCors } from "./cors";

export interface Env {
  N8N_BASE_URL: string;
  PROXY_TOKEN: string;
}

type RouteTable = Record<string, string>;

export function targetUrl(request: Request, env: Env, table: RouteTable = routes): URL | null {
  const url = new URL(request.url);
  const webhook = table[url.pathname];
  if (!webhook) {
    return null;
  }
  const target = new URL(`/webhook/${webhook}`, env.N8N_BASE_URL);
  target.search = url.search;
  return target;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: CORS_HEADERS });
    }
    if (request.headers.get("Authorization") !== `Bearer ${env.PROXY_TOKEN}`) {
      return withCors(new Response("unauthorized", { status: 401 }));
    }
    const target = targetUrl(request, env);
    if (target === null) {
      return withCors(new Response("not found", { status: 404 }));
    }
    const upstream = await fetch(target.toString(), {
      method: request.method,
      headers: { "Content-Type": request.headers.get("Content-Type") ?? "application/json" },
      body: request.method === "GET" ? undefined : await request.text(),
    });
    return withCors(upstream);
  },
};
