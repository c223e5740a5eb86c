import { randomBytes } from 'node:crypto';

/**
 * A new random id: 16 random bytes as base64url (22 characters), as ASP.NET makes connection ids
 * and tokens. URL-safe because the official client appends the token to URLs without encoding.
 */
export function newConnectionId(): string {
  return randomBytes(16).toString('base64url');
}
