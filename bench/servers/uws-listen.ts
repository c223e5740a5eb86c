/**
 * Listening with uWebSockets.js, as the bench's uWS servers do: 127.0.0.1, a free port, and a
 * close that happens once at most (a second close of one listen socket crashes the process).
 */
import uws from '@trufflesuite/uws-js-unofficial';

export interface UwsListening {
  readonly port: number;
  close(): void;
}

export function listenUws(app: uws.TemplatedApp): Promise<UwsListening> {
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) {
        reject(new Error('uWS could not listen on 127.0.0.1'));
        return;
      }
      let open = true;
      const close = (): void => {
        if (open) uws.us_listen_socket_close(socket);
        open = false;
      };
      resolve({ port: uws.us_socket_local_port(socket), close });
    });
  });
}
