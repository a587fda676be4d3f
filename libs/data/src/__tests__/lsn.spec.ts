import { formatLsn, parseLsn } from '../index';

describe('WAL positions (consistency tokens)', () => {
  it('parses and formats round-trip', () => {
    for (const text of ['0/0', '0/16B3748', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) {
      expect(formatLsn(parseLsn(text)!)).toBe(text);
    }
  });

  it('orders positions numerically, not lexically', () => {
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn('0/A')! > parseLsn('0/9')!).toBe(true);
  });

  it('rejects anything that is not a WAL position', () => {
    for (const bad of ['', 'garbage', '1/2/3', '0/0; drop table x', 'FFFFFFFFF/0', '-1/0', 42, undefined, null, ['0/1']]) {
      expect(parseLsn(bad)).toBeUndefined();
    }
  });
});
