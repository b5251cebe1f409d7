export interface Request {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
}

export function buildRequest(method: Request["method"], path: string, body?: unknown): Request {
  return body === undefined ? { method, path } : { method, path, body };
}
