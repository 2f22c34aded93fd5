import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import ipaddr from "ipaddr.js";
import { parseCidrs } from "../core/shared/outbound";

/**
 * Who sent a request, as the key of its per-address budget: the socket's peer, or, when that peer is
 * a proxy listed in `trustProxy` (CIDRs), the address that proxy appended to X-Forwarded-For (walking
 * right to left past every trusted proxy). What a client writes there itself is never believed.
 * IPv6 clients are keyed by their /64, the block one subscriber gets: otherwise each address is a new budget.
 * Undefined for a request made in process (`app.request`, as the tests do): it came from no network.
 */
export function clientAddressOf(trustProxy: readonly string[]): (c: Context) => string | undefined {
  const proxies = parseCidrs(trustProxy);
  const trusted = (ip: ipaddr.IPv4 | ipaddr.IPv6) =>
    proxies.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net as never, bits));
  return function clientAddress(c) {
    let address = socketAddress(c);
    if (!address) return undefined;
    if (proxies.length === 0) return budgetKey(address);
    const forwarded = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter(Boolean);
    let ip = parse(address);
    while (ip && trusted(ip) && forwarded.length > 0) {
      const hop = parse(forwarded.pop() ?? "");
      // A hop our own proxy wrote is an address; anything else came from the client: stop at the proxy.
      if (!hop) break;
      ip = hop;
    }
    if (ip) address = ip.toString();
    return budgetKey(address);
  };
}

function socketAddress(c: Context): string | undefined {
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return undefined;
  return getConnInfo(c).remote.address;
}

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // `::ffff:10.0.0.1` (a dual-stack socket's IPv4 client) is 10.0.0.1.
  return ipaddr.isValid(address) ? ipaddr.process(address) : undefined;
}

function budgetKey(address: string): string {
  const ip = parse(address);
  if (!ip) return address;
  if (ip.kind() === "ipv4") return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}
