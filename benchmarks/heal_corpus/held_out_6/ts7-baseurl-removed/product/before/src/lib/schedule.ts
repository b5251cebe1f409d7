export type Outcome = "ok" | "rate-limited" | "error";

export function nextDelayMinutes(outcome: Outcome, attempt: number): number {
  switch (outcome) {
    case "ok":
      return 60;
    case "rate-limited":
      return Math.min(15 * 2 ** attempt, 240);
    case "error":
      return 5;
  }
}
