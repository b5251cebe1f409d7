import { parseSetCookie, type SessionCookie } from "./lib/cookie.ts";
import { nextDelayMinutes, type Outcome } from "./lib/schedule.ts";

export interface State {
  cookie?: SessionCookie;
  attempt: number;
}

export function handleResponse(state: State, status: number, setCookie?: string): { state: State; delay: number } {
  const outcome: Outcome = status === 200 ? "ok" : status === 429 ? "rate-limited" : "error";
  const cookie = setCookie ? parseSetCookie(setCookie) : undefined;
  const next: State = {
    cookie: cookie ?? state.cookie,
    attempt: outcome === "ok" ? 0 : state.attempt + 1,
  };
  return { state: next, delay: nextDelayMinutes(outcome, next.attempt) };
}
