/**
 * How the Redis backplane names an error in its log lines and in the errors it throws.
 * @module
 */

/**
 * The message of an error, or the value as text. Some errors of the Redis client have an empty
 * message (a command dropped after its timeout): their name stands in, so a log line never says
 * `"error":""`.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message !== '' ? error.message : error.name !== 'Error' ? error.name : 'an error without a message';
}
