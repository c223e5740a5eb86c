/**
 * How `useHub()` creates its clients: `connectHub` of `@hubwire/client`, unless a test provides
 * a fake through {@link HubConnector} (so pages are tested without a server).
 * @module
 */
import { connectHub, type HubClient, type HubClientOptions } from '@hubwire/client';
import { createContext } from 'react';

/** Creates a hub client for `url`. */
export type Connect = <S, C>(url: string, options: HubClientOptions) => HubClient<S, C>;

/** The connector in use below it (default: the real client). */
export const HubConnector = createContext<Connect>(connectHub);
