import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signed public links (unsubscribe, open pixel, click redirect): `<payload>.<mac>`, both base64url,
 * the MAC an HMAC-SHA256 of the payload under the workspace's signing secret, with a purpose so a
 * token made for one link never works for another.
 */

export type Purpose = "unsubscribe" | "open" | "click";

function mac(secret: string, purpose: Purpose, payload: string): Buffer {
  return createHmac("sha256", secret).update(`${purpose}.${payload}`).digest();
}

export function signToken(secret: string, purpose: Purpose, data: Record<string, unknown>): string {
  const payload = Buffer.from(JSON.stringify(data)).toString("base64url");
  return `${payload}.${mac(secret, purpose, payload).toString("base64url")}`;
}

/** The payload, unverified: enough to find the workspace whose secret verifies it. */
export function peekToken(token: string): Record<string, unknown> | null {
  const [payload] = token.split(".");
  if (!payload) return null;
  try {
    const data: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return data && typeof data === "object" && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function verifyToken(secret: string, purpose: Purpose, token: string): Record<string, unknown> | null {
  const [payload, given, extra] = token.split(".");
  if (!payload || !given || extra !== undefined) return null;
  const expected = mac(secret, purpose, payload);
  const actual = Buffer.from(given, "base64url");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return peekToken(token);
}
