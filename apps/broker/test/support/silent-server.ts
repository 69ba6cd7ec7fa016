import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface SilentServer {
  port: number;
  /** Drops every open connection, then stops listening. */
  close(): Promise<void>;
}

/** A TCP server on a loopback port that accepts connections and never answers: a PostgreSQL that hangs. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
