/** Number formatting shared by the report files. */

/** `value` with thousands separators and `digits` decimals; 'n/a' when not a finite number. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
