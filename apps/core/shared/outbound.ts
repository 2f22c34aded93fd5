import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import ipaddr from "ipaddr.js";

/**
 * The outbound guard: every HTTP request Volante makes for a user (a journey's webhook step, the
 * workspace's notification webhook) reaches public addresses only. Loopback, private, link-local,
 * unique-local, multicast, unspecified and reserved addresses are refused in every spelling (the
 * URL parser normalises `127.1`, `2130706433` and `0177.0.0.1`; IPv4-mapped IPv6 is unwrapped), when a
 * literal host is saved and again at send time on the address DNS returned; the connection goes to
 * the address that was checked, so a name cannot be re-resolved to another one (DNS rebinding).
 * Redirects are not followed. Operators list internal targets they trust in `VOLANTE_OUTBOUND_ALLOW`.
 */

/** CIDRs an operator allows despite being internal (`VOLANTE_OUTBOUND_ALLOW`); empty by default. */
export type OutboundPolicy = { allow: readonly string[] };

export const BLOCKED = "blocked: private address";

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `VOLANTE_OUTBOUND_ALLOW`'s CIDRs; throws on one that does not parse. */
export function parseCidrs(list: readonly string[]): Cidr[] {
  return list.map((cidr) =>
    ipaddr.parseCIDR(cidr.includes("/") ? cidr : `${cidr}/${cidr.includes(":") ? 128 : 32}`),
  );
}

/** Whether a request to this IP address may go out: a public unicast address, or one the operator allows. */
export function isAllowedAddress(address: string, policy: OutboundPolicy): boolean {
  if (!ipaddr.isValid(address)) return false;
  // `::ffff:127.0.0.1` is 127.0.0.1.
  const ip = ipaddr.process(address);
  if (ip.range() === "unicast") return true;
  return parseCidrs(policy.allow).some(
    ([net, bits]) => net.kind() === ip.kind() && ip.match(net as never, bits),
  );
}

/** The URL's host as an IP address when it is a literal (brackets stripped), else undefined. */
function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return ipaddr.isValid(host) ? host : undefined;
}

/**
 * Why a target URL is refused before anything is sent (save and publish time): not http(s), or a
 * literal internal address. A name (`localhost` included) is checked on the addresses it resolves to,
 * at send time.
 */
export function targetProblem(target: string, policy: OutboundPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "must be a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  const literal = literalAddress(url);
  if (literal) return isAllowedAddress(literal, policy) ? undefined : BLOCKED;
  return undefined;
}

export const URL_CREDENTIALS =
  "must not contain credentials (user:pass@): receivers verify the webhook signature instead";

/**
 * Why a webhook URL is refused when it is saved or published: the outbound guard's reasons, or
 * credentials in the URL (they would be stored in the clear, and a step's URL enters workflow histories).
 */
export function webhookTargetProblem(target: string, policy: OutboundPolicy): string | undefined {
  const problem = targetProblem(target, policy);
  if (problem) return problem;
  const url = new URL(target);
  return url.username || url.password ? URL_CREDENTIALS : undefined;
}

export type OutboundAnswer =
  | { ok: true; status: number }
  /** Refused by the guard: nothing was sent. */
  | { ok: false; blocked: true; error: string };

/**
 * POSTs `body` to `target` through the guard: resolves the name, refuses if any address it resolves
 * to is internal, connects to the checked address, follows no redirect. Network failures throw.
 */
export async function guardedPost(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { policy: OutboundPolicy; timeoutMs: number },
): Promise<OutboundAnswer> {
  const problem = targetProblem(target, options.policy);
  if (problem) return { ok: false, blocked: true, error: problem };
  const url = new URL(target);
  let blocked: string | undefined;
  // Called by the socket for a name (never for a literal, checked above): every address must pass,
  // and the one handed back is the one connected to.
  const lookup = (
    hostname: string,
    opts: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((a) => !isAllowedAddress(a.address, options.policy));
      if (refused || addresses.length === 0) {
        // The trace says why, never where the name led: that would map the internal network.
        blocked = BLOCKED;
        return callback(Object.assign(new Error(BLOCKED), { code: "EBLOCKED" }), []);
      }
      const chosen = addresses[0] as LookupAddress;
      if ((opts as { all?: boolean }).all) return callback(null, [chosen]);
      return callback(null, chosen.address, chosen.family);
    });
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = send(
        url,
        {
          method: "POST",
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          lookup,
          timeout: options.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
    return { ok: true, status };
  } catch (err) {
    if (blocked) return { ok: false, blocked: true, error: blocked };
    throw err;
  }
}
