/** A Postgres WAL position ("16/B374D848"), comparable as a 64-bit number. */
const LSN_PATTERN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

export function parseLsn(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  const match = LSN_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

export function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
