export interface SessionCookie {
  name: string;
  value: string;
  expires?: Date;
}

export function parseSetCookie(header: string): SessionCookie | undefined {
  const [pair, ...attrs] = header.split(";").map((s) => s.trim());
  if (!pair || !pair.includes("=")) return undefined;
  const [name, value] = pair.split("=", 2) as [string, string];
  const cookie: SessionCookie = { name, value };
  for (const attr of attrs) {
    const [key, val] = attr.split("=", 2);
    if (key?.toLowerCase() === "expires" && val) cookie.expires = new Date(val);
  }
  return cookie;
}
