/**
 * Server streams as {@link HubStream}s: the official `IStreamResult` and an `AsyncIterable`,
 * started lazily so no item is lost before a subscriber exists.
 * @module
 */
import type { IStreamResult, IStreamSubscriber, ISubscription } from '@microsoft/signalr';
import type { HubStream } from './proxy-types.js';

/**
 * A stream that calls `open` (the official `connection.stream(...)`) on each subscribe or
 * iteration, after `ready` (waiting for the connection) when it returns a promise.
 */
export function lazyStream<T>(open: () => IStreamResult<T>, ready: () => Promise<void> | undefined): HubStream<T> {
  const subscribe = (subscriber: IStreamSubscriber<T>): ISubscription<T> => {
    const waiting = ready();
    if (waiting === undefined) return open().subscribe(subscriber);
    let inner: ISubscription<T> | undefined;
    let disposed = false;
    waiting.then(
      () => {
        if (!disposed) inner = open().subscribe(subscriber);
      },
      (error: unknown) => {
        if (!disposed) subscriber.error(error);
      },
    );
    return {
      dispose() {
        disposed = true;
        inner?.dispose();
      },
    };
  };
  return { subscribe, [Symbol.asyncIterator]: () => iterate(subscribe) };
}

/** Iterates a stream: items queue until read; `return()` (a `break`) cancels it on the server. */
function iterate<T>(subscribe: (subscriber: IStreamSubscriber<T>) => ISubscription<T>): AsyncIterator<T> {
  const items: T[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  const wake = (): void => {
    const current = waiter;
    if (current === undefined) return;
    if (items.length > 0) current.resolve({ value: items.shift()!, done: false });
    else if (failure !== undefined) {
      current.reject(failure.error);
      failure = undefined;
    }
    else if (ended) current.resolve({ value: undefined, done: true });
    else return;
    waiter = undefined;
  };
  const subscription = subscribe({
    next(item) {
      items.push(item);
      wake();
    },
    error(error) {
      ended = true;
      failure = { error: error ?? new Error('The stream failed.') };
      wake();
    },
    complete() {
      ended = true;
      wake();
    },
  });
  return {
    next() {
      if (items.length > 0) return Promise.resolve({ value: items.shift()!, done: false });
      if (failure !== undefined) {
        const { error } = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    return() {
      if (!ended) subscription.dispose();
      ended = true;
      items.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}
