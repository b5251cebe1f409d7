import { buildRequest, type Request } from "utils/http";

export function getUser(id: number): Request {
  return buildRequest("GET", `/users/${id}`);
}

export function createUser(name: string): Request {
  return buildRequest("POST", "/users", { name });
}
