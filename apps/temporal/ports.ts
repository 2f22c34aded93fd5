import { connect, createServer } from "node:net";
import { Connection } from "@temporalio/client";

/** True once the server on host:port answers DescribeNamespace for `namespace`. */
export async function answers(host: string, port: number, namespace: string): Promise<boolean> {
  // gRPC keeps retrying a refused connection until its timeout, so first wait for the port to accept.
  if (!(await acceptsTcp(host, port))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: `${host}:${port}`, connectTimeout: 1_000 });
    const c = connection;
    await c.withDeadline(Date.now() + 2_000, () => c.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

export function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

export function freePort(ip: string, avoid?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, ip, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        if (port === avoid) freePort(ip, avoid).then(resolve, reject);
        else resolve(port);
      });
    });
  });
}

/** A wildcard bind is reached through loopback. */
export function clientHost(ip: string): string {
  if (ip === "0.0.0.0") return "127.0.0.1";
  if (ip === "::") return "::1";
  return ip;
}

export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
