/**
 * The OData `filter` of `:execute`, the subset Azure documents for SignalR and Web PubSub:
 * identifiers `userId`, `connectionId` (strings; `null` for no user) and `groups` (the
 * connection's groups); `eq ne gt ge lt le`; `'g' in groups` and `userId in ('a', 'b')`;
 * `startswith`, `endswith`, `contains`; `and`, `or`, `not`, parentheses, `true`, `false`.
 * Identifiers and keywords are case-insensitive; string comparisons are exact.
 * @module
 */
import { DataPlaneError } from './results.js';

/** A connection as a filter sees it; `inGroup` answers for the groups the filter names. */
export interface FilterSubject {
  readonly connectionId: string;
  readonly userId: string | undefined;
  inGroup(group: string): boolean;
}

/** A parsed filter. */
export interface ConnectionFilter {
  /** The groups `'g' in groups` asks about: what `inGroup` must know. */
  readonly groups: readonly string[];
  matches(subject: FilterSubject): boolean;
}

type Operand = { readonly kind: 'field'; readonly name: 'userId' | 'connectionId' } | { readonly kind: 'literal'; readonly value: string | null };
type Node =
  | { readonly kind: 'and' | 'or'; readonly left: Node; readonly right: Node }
  | { readonly kind: 'not'; readonly operand: Node }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'compare'; readonly op: string; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'inGroups'; readonly group: string }
  | { readonly kind: 'inList'; readonly operand: Operand; readonly values: readonly (string | null)[] }
  | { readonly kind: 'call'; readonly name: string; readonly left: Operand; readonly right: Operand };

type Token = { readonly kind: 'word'; readonly text: string } | { readonly kind: 'string'; readonly text: string } | { readonly kind: 'punct'; readonly text: '(' | ')' | ',' };

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set(['startswith', 'endswith', 'contains']);

/**
 * Parses `filter`; throws `InvalidArgument` (target `filter`) for one it does not understand.
 *
 * @example
 * ```ts
 * const filter = parseFilter("startswith(userId, 'listener-') and not ('muted' in groups)");
 * filter.groups; // ['muted']
 * filter.matches({ connectionId: 'c1', userId: 'listener-7', inGroup: () => false }); // true
 * ```
 */
export function parseFilter(filter: string): ConnectionFilter {
  const tokens = tokenize(filter);
  let position = 0;
  const groups = new Set<string>();
  const peek = (): Token | undefined => tokens[position];
  const isWord = (token: Token | undefined, word: string) => token?.kind === 'word' && token.text.toLowerCase() === word;
  const expect = (text: '(' | ')' | ',') => {
    const token = tokens[position++];
    if (token?.kind !== 'punct' || token.text !== text) fail(`'${text}' expected`);
  };
  const operand = (): Operand => {
    const token = tokens[position++];
    if (token?.kind === 'string') return { kind: 'literal', value: token.text };
    if (isWord(token, 'null')) return { kind: 'literal', value: null };
    if (isWord(token, 'userid')) return { kind: 'field', name: 'userId' };
    if (isWord(token, 'connectionid')) return { kind: 'field', name: 'connectionId' };
    return fail('userId, connectionId, a quoted string or null expected');
  };
  const primary = (): Node => {
    const token = peek();
    if (token?.kind === 'punct' && token.text === '(') {
      position++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (isWord(token, 'true') || isWord(token, 'false')) {
      position++;
      return { kind: 'boolean', value: isWord(token, 'true') };
    }
    if (token?.kind === 'word' && FUNCTIONS.has(token.text.toLowerCase())) {
      position++;
      expect('(');
      const left = operand();
      expect(',');
      const right = operand();
      expect(')');
      return { kind: 'call', name: token.text.toLowerCase(), left, right };
    }
    const left = operand();
    const op = tokens[position++];
    if (isWord(op, 'in')) {
      if (isWord(peek(), 'groups')) {
        position++;
        if (left.kind !== 'literal' || left.value === null) return fail("'<group>' in groups needs a quoted group name");
        groups.add(left.value);
        return { kind: 'inGroups', group: left.value };
      }
      expect('(');
      const values: (string | null)[] = [];
      for (;;) {
        const value = operand();
        if (value.kind !== 'literal') return fail('in (...) takes quoted strings');
        values.push(value.value);
        const next = peek();
        if (next?.kind !== 'punct' || next.text !== ',') break;
        position++;
      }
      expect(')');
      return { kind: 'inList', operand: left, values };
    }
    if (op?.kind !== 'word' || !COMPARISONS.has(op.text.toLowerCase())) return fail('eq, ne, gt, ge, lt, le or in expected');
    return { kind: 'compare', op: op.text.toLowerCase(), left, right: operand() };
  };
  const unary = (): Node => {
    if (!isWord(peek(), 'not')) return primary();
    position++;
    return { kind: 'not', operand: unary() };
  };
  const and = (): Node => {
    let node = unary();
    while (isWord(peek(), 'and')) {
      position++;
      node = { kind: 'and', left: node, right: unary() };
    }
    return node;
  };
  const or = (): Node => {
    let node = and();
    while (isWord(peek(), 'or')) {
      position++;
      node = { kind: 'or', left: node, right: and() };
    }
    return node;
  };
  const root = or();
  if (position < tokens.length) fail('unexpected text after the expression');
  return { groups: [...groups], matches: (subject) => evaluate(root, subject) };
}

function evaluate(node: Node, subject: FilterSubject): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, subject) && evaluate(node.right, subject);
    case 'or':
      return evaluate(node.left, subject) || evaluate(node.right, subject);
    case 'not':
      return !evaluate(node.operand, subject);
    case 'boolean':
      return node.value;
    case 'inGroups':
      return subject.inGroup(node.group);
    case 'inList':
      return node.values.includes(value(node.operand, subject));
    case 'call': {
      const [left, right] = [value(node.left, subject), value(node.right, subject)];
      if (left === null || right === null) return false;
      return node.name === 'startswith' ? left.startsWith(right) : node.name === 'endswith' ? left.endsWith(right) : left.includes(right);
    }
    case 'compare': {
      const [left, right] = [value(node.left, subject), value(node.right, subject)];
      if (node.op === 'eq') return left === right;
      if (node.op === 'ne') return left !== right;
      if (left === null || right === null) return false;
      return node.op === 'gt' ? left > right : node.op === 'ge' ? left >= right : node.op === 'lt' ? left < right : left <= right;
    }
  }
}

function value(operand: Operand, subject: FilterSubject): string | null {
  if (operand.kind === 'literal') return operand.value;
  return operand.name === 'userId' ? (subject.userId ?? null) : subject.connectionId;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (/\s/.test(char)) index++;
    else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char });
      index++;
    } else if (char === "'") {
      let value = '';
      index++;
      for (;;) {
        if (index >= text.length) fail('a quoted string is not closed');
        if (text[index] === "'") {
          // '' inside a string is one quote.
          if (text[index + 1] === "'") {
            value += "'";
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += text[index++];
      }
      tokens.push({ kind: 'string', text: value });
    } else {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index));
      if (word === null) fail(`unexpected '${char}'`);
      tokens.push({ kind: 'word', text: word![0] });
      index += word![0].length;
    }
  }
  return tokens;
}

function fail(why: string): never {
  throw new DataPlaneError('InvalidArgument', `The filter is not valid: ${why}.`, 'filter');
}
