/**
 * The JSON Schemas of the operator routes: what Fastify checks before a handler runs (path,
 * query, body: a failure is `400 {"error", "field"}`) and what the OpenAPI document shows of the
 * answers (their main fields; answers are never filtered by them).
 * @module
 */
import type { JsonSchema, RouteOptions } from '../../app-context.js';
import { MAX_PAGE_LIMIT } from 'hubwire';
import { WINDOW_PATTERN } from './series-view.js';

const TAGS = ['operator'];
const ERROR: JsonSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' }, field: { type: 'string' } } };
/** The refusals every operator route may answer. */
const REFUSALS = { 401: ERROR, 403: ERROR } as const;

const count: JsonSchema = { type: 'integer', minimum: 0 };
const counts = (names: readonly string[]): JsonSchema => ({ type: 'object', required: names, properties: Object.fromEntries(names.map((name) => [name, count])) });
const page = (item: JsonSchema): JsonSchema => ({ type: 'object', required: ['items', 'cursor'], properties: { items: { type: 'array', items: item }, cursor: { type: ['string', 'null'] } } });

/** A hub name: the last segment of its path (`chat` for `/hubs/chat`), as the data plane names hubs. */
const HUB_PARAM: JsonSchema = { type: 'string', minLength: 1, maxLength: 128, description: 'The hub name (last segment of its path, case-insensitive).' };
const CURSOR: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 4096, description: "The cursor of the previous page's answer." };
const LIMIT: JsonSchema = { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, description: `Items per page, 1–${MAX_PAGE_LIMIT} (default 100).` };

const FIGURES: JsonSchema = {
  type: 'object',
  required: ['connections', 'groups', 'byTransport', 'byProtocol', 'messagesReceived', 'messagesSent', 'invocations', 'slowConsumer', 'errors'],
  properties: {
    connections: count,
    groups: { type: ['integer', 'null'] },
    byTransport: counts(['web_sockets', 'server_sent_events', 'long_polling']),
    byProtocol: { type: 'object', additionalProperties: count },
    messagesReceived: count,
    messagesSent: count,
    invocations: count,
    slowConsumer: counts(['disconnects', 'sendTimeouts', 'drops', 'conflated', 'total']),
    errors: counts(['invocations', 'protocol', 'handshakes', 'clientTimeouts', 'backplane', 'presence', 'total']),
  },
};

const NODE: JsonSchema = {
  type: 'object',
  required: ['nodeId', 'alive', 'lastSeen', 'connections'],
  properties: { nodeId: { type: 'string' }, url: { type: ['string', 'null'] }, startedAt: { type: 'string' }, alive: { type: 'boolean' }, lastSeen: { type: 'string' }, connections: count },
};

export const OVERVIEW: RouteOptions = {
  summary: 'Connections per hub by transport and protocol, groups, nodes, slow-consumer and error counts.',
  tags: TAGS,
  schema: {
    response: {
      200: {
        type: 'object',
        required: ['timestamp', 'nodeId', 'scope', 'totals', 'hubs', 'nodes'],
        properties: {
          timestamp: { type: 'string' },
          nodeId: { type: 'string' },
          scope: { enum: ['cluster', 'node'] },
          totals: FIGURES,
          hubs: { type: 'array', items: { ...FIGURES, required: ['hub', 'path', ...(FIGURES['required'] as string[])], properties: { hub: { type: 'string' }, path: { type: 'string' }, ...(FIGURES['properties'] as object) } } },
          nodes: { type: 'array', items: NODE },
        },
      },
      ...REFUSALS,
    },
  },
};

const RATES: JsonSchema = counts(['messagesIn', 'messagesOut', 'invocations', 'invocationErrors', 'slowConsumerActions', 'connections']);

export const SERIES: RouteOptions = {
  summary: 'Message, invocation, error and slow-consumer rates and connections per hub over time (sampled every few seconds).',
  tags: TAGS,
  schema: {
    querystring: {
      type: 'object',
      properties: {
        window: { type: 'string', pattern: WINDOW_PATTERN, description: 'How far back: seconds (`90`, `90s`) or minutes (`5m`); default and at most the kept window (10 min).' },
        hub: { ...HUB_PARAM, description: 'Only this hub (its name).' },
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['intervalSeconds', 'windowSeconds', 'hubs', 'points'],
        properties: {
          intervalSeconds: { type: 'number' },
          windowSeconds: { type: 'number' },
          hubs: { type: 'array', items: { type: 'object', properties: { hub: { type: 'string' }, path: { type: 'string' } } } },
          points: {
            type: 'array',
            items: {
              type: 'object',
              required: ['timestamp', 'seconds', 'scope', 'totals', 'hubs'],
              properties: { timestamp: { type: 'string' }, seconds: { type: 'number' }, scope: { enum: ['cluster', 'node'] }, totals: RATES, hubs: { type: 'object', additionalProperties: RATES } },
            },
          },
        },
      },
      400: ERROR,
      404: ERROR,
      ...REFUSALS,
    },
  },
};

export const GROUPS: RouteOptions = {
  summary: "A hub's groups with their connection counts, paged (from presence, over every node).",
  tags: TAGS,
  schema: {
    params: { type: 'object', required: ['hub'], properties: { hub: HUB_PARAM } },
    querystring: { type: 'object', properties: { limit: LIMIT, cursor: CURSOR } },
    response: {
      200: { type: 'object', required: ['hub', 'path', 'groupCount', 'groups'], properties: { hub: { type: 'string' }, path: { type: 'string' }, groupCount: count, groups: page({ type: 'object', properties: { group: { type: 'string' }, connections: count } }) } },
      400: ERROR,
      404: ERROR,
      ...REFUSALS,
    },
  },
};

const MEMBER: JsonSchema = { type: 'object', required: ['connectionId', 'userId', 'nodeId'], properties: { connectionId: { type: 'string' }, userId: { type: ['string', 'null'] }, nodeId: { type: 'string' } } };

export const GROUP: RouteOptions = {
  summary: "A group's connection and user counts, and a page of each (from presence, over every node).",
  tags: TAGS,
  schema: {
    params: { type: 'object', required: ['hub', 'group'], properties: { hub: HUB_PARAM, group: { type: 'string', minLength: 1, maxLength: 1024 } } },
    querystring: { type: 'object', properties: { limit: LIMIT, connectionCursor: CURSOR, userCursor: CURSOR } },
    response: {
      200: {
        type: 'object',
        required: ['hub', 'path', 'group', 'connectionCount', 'userCount', 'connections', 'users'],
        properties: { hub: { type: 'string' }, path: { type: 'string' }, group: { type: 'string' }, connectionCount: count, userCount: count, connections: page(MEMBER), users: page({ type: 'string' }) },
      },
      400: ERROR,
      404: ERROR,
      ...REFUSALS,
    },
  },
};

export const USER_CONNECTIONS: RouteOptions = {
  summary: "A user's connections on every hub: node, transport, protocol, groups, connected since.",
  tags: TAGS,
  schema: {
    params: { type: 'object', required: ['user'], properties: { user: { type: 'string', minLength: 1, maxLength: 1024 } } },
    response: {
      200: {
        type: 'object',
        required: ['user', 'online', 'connections'],
        properties: {
          user: { type: 'string' },
          online: { type: 'boolean' },
          connections: {
            type: 'array',
            items: {
              type: 'object',
              required: ['hub', 'path', 'connectionId', 'nodeId', 'transport', 'protocol', 'connectedAt', 'groups'],
              properties: {
                ...(MEMBER['properties'] as object),
                hub: { type: 'string' },
                path: { type: 'string' },
                transport: { type: ['string', 'null'] },
                protocol: { type: ['string', 'null'] },
                connectedAt: { type: ['string', 'null'] },
                groups: { type: ['array', 'null'], items: { type: 'string' } },
              },
            },
          },
        },
      },
      ...REFUSALS,
    },
  },
};

const NAME = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const SEND: RouteOptions = {
  summary: 'Send a test message to every connection of a hub, a group, a user or one connection.',
  tags: TAGS,
  schema: {
    params: { type: 'object', required: ['hub'], properties: { hub: HUB_PARAM } },
    body: {
      type: 'object',
      required: ['target', 'method'],
      properties: {
        target: {
          type: 'object',
          description: 'Exactly one of `{"all": true}`, `{"group": "…"}`, `{"user": "…"}`, `{"connection": "…"}`.',
          minProperties: 1,
          maxProperties: 1,
          additionalProperties: false,
          properties: { all: { const: true }, group: NAME, user: NAME, connection: NAME },
        },
        method: { type: 'string', minLength: 1, maxLength: 256, description: 'The client method to invoke.' },
        args: { type: 'array', maxItems: 100, description: 'Its arguments (default none).' },
      },
      examples: [{ target: { group: 'room-1' }, method: 'ReceiveMessage', args: ['operator', 'hello'] }],
    },
    response: {
      202: { type: 'object', required: ['sent', 'hub', 'path', 'target', 'method', 'recipients'], properties: { sent: { const: true }, hub: { type: 'string' }, path: { type: 'string' }, target: { type: 'object' }, method: { type: 'string' }, recipients: count } },
      400: ERROR,
      404: ERROR,
      ...REFUSALS,
    },
  },
};

export const DISCONNECT: RouteOptions = {
  summary: 'Disconnect a connection, on whichever node holds it (the client gets a Close and does not reconnect).',
  tags: TAGS,
  schema: {
    params: { type: 'object', required: ['hub', 'connectionId'], properties: { hub: HUB_PARAM, connectionId: { type: 'string', minLength: 1, maxLength: 1024 } } },
    querystring: { type: 'object', properties: { reason: { type: 'string', maxLength: 1024, description: 'Why (logged on the connection\'s node).' } } },
    response: {
      200: { type: 'object', required: ['closed', 'hub', 'path', 'connectionId'], properties: { closed: { const: true }, hub: { type: 'string' }, path: { type: 'string' }, connectionId: { type: 'string' }, reason: { type: ['string', 'null'] } } },
      400: ERROR,
      404: ERROR,
      ...REFUSALS,
    },
  },
};
