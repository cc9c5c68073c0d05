/** Listen addresses of the HTTP endpoints (`--metrics`), parsed without loading prom-client. */

/** `host:port` (port 0 picks one); an IPv6 host in brackets. Throws a plain Error naming the problem. */
export function parseListenAddress(spec: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(spec);
  if (m === null) throw new Error(`'${spec}' is not host:port (e.g. 127.0.0.1:9464, [::1]:9464)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is above 65535`);
  return { host: m[1] ?? m[2]!, port };
}
