/**
 * Authentication of the server: the JWT authenticator shared by hubs and REST, demo users and
 * their tokens, and the auth endpoints.
 * @module
 */
export { createAuthenticator, organizationsOf } from './authenticator.js';
export { DEMO_PASSWORD, DEMO_USERS, checkDemoCredentials, type DemoUser } from './demo-users.js';
export { createTokenIssuer, type IssuedToken, type TokenIssuer } from './tokens.js';
export { registerAuthRoutes } from './routes.js';
