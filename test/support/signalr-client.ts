/**
 * The official @microsoft/signalr client, set up for tests.
 * @module
 */
import * as signalR from '@microsoft/signalr';

/** A builder pointed at `url`, with the client's logging kept quiet (errors only). */
export function clientFor(url: string, options: signalR.IHttpConnectionOptions = {}): signalR.HubConnectionBuilder {
  return new signalR.HubConnectionBuilder().withUrl(url, options).configureLogging(signalR.LogLevel.None);
}

/** Builds and starts a connection; the caller stops it. */
export async function connect(url: string, options: signalR.IHttpConnectionOptions = {}): Promise<signalR.HubConnection> {
  const connection = clientFor(url, options).build();
  await connection.start();
  return connection;
}

export { signalR };
