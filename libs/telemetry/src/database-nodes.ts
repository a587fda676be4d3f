/**
 * Which database node a connection belongs to (`primary`, `replica-1`...), so every pg span says
 * whether a query ran on the primary or a replica. libs/data names its nodes here; the pg
 * instrumentation's request hook looks them up by the connection's host, port and database.
 */
const nodes = new Map<string, string>();

const keyOf = (host: string | undefined, port: number | string | undefined, database: string | undefined) =>
  `${(host ?? '').toLowerCase()}:${port ?? 5432}/${database ?? ''}`;

export function nameDatabaseNode(url: string, node: string): void {
  try {
    const parsed = new URL(url);
    nodes.set(
      keyOf(
        decodeURIComponent(parsed.hostname),
        parsed.port || 5432,
        decodeURIComponent(parsed.pathname.replace(/^\//, '')),
      ),
      node,
    );
  } catch {
    // Not a URL: config validation has already refused it; nothing to name.
  }
}

export function databaseNodeOf(connection: {
  host?: string;
  port?: number;
  database?: string;
}): string | undefined {
  return nodes.get(keyOf(connection.host, connection.port, connection.database));
}
