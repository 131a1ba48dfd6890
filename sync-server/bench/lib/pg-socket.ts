/**
 * BENCH_PG_SOCKET_DIR=/var/run/postgresql: the server under test reaches PostgreSQL through the
 * Unix socket in that directory (libpq's `?host=/dir`) instead of TCP on 127.0.0.1, to compare
 * the two transports. The bench's own admin connection stays on TCP.
 */
export function serverDatabaseUrl(url: URL): string {
  const dir = process.env.BENCH_PG_SOCKET_DIR;
  if (!dir) return url.toString();
  if (!dir.startsWith('/')) throw new Error('BENCH_PG_SOCKET_DIR must be an absolute directory');
  const socketUrl = new URL(url);
  socketUrl.searchParams.set('host', dir);
  return socketUrl.toString();
}
