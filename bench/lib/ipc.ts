/**
 * Request/response messaging between the orchestrator and its child processes
 * over Node's IPC channel. The parent side lives in `children.ts`; this file
 * holds the shared message shapes and the child side.
 */

/** A child's command set: command name -> argument and result types. */
export type CommandMap = Record<string, { args: unknown; result: unknown }>;

export type Handlers<M extends CommandMap> = {
  [K in keyof M]: (args: M[K]['args']) => M[K]['result'] | Promise<M[K]['result']>;
};

export interface IpcRequest {
  id: number;
  cmd: string;
  args: unknown;
}

export type IpcReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

/** First message a child sends: either it is ready (with info, e.g. its port) or it failed to start. */
export type IpcHello = { hello: 'ready'; info: unknown } | { hello: 'failed'; error: string };

export function isReply(message: unknown): message is IpcReply {
  return typeof message === 'object' && message !== null && 'id' in message && 'ok' in message;
}

export function isHello(message: unknown): message is IpcHello {
  return typeof message === 'object' && message !== null && 'hello' in message;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

function send(message: IpcReply | IpcHello): void {
  if (process.send && process.connected) process.send(message);
}

/**
 * Child side: answer the parent's requests with `handlers`, and exit as soon as
 * the parent goes away so that no child outlives the orchestrator.
 */
export function serveIpc<M extends CommandMap>(handlers: Handlers<M>): void {
  if (!process.send) throw new Error('this module must be started by bench/run.ts (no IPC channel)');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw: unknown) => {
    const request = raw as IpcRequest;
    const handler = (handlers as Record<string, ((args: unknown) => unknown) | undefined>)[request.cmd];
    if (!handler) {
      send({ id: request.id, ok: false, error: `unknown command '${request.cmd}'` });
      return;
    }
    Promise.resolve()
      .then(() => handler(request.args))
      .then(
        (result) => send({ id: request.id, ok: true, result }),
        (error: unknown) => send({ id: request.id, ok: false, error: errorText(error) }),
      );
  });
}

export function announceReady(info: unknown): void {
  send({ hello: 'ready', info });
}

export function announceFailure(error: unknown): void {
  send({ hello: 'failed', error: errorText(error) });
}
