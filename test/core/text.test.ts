import { describe, expect, it } from 'vitest';
import { thousands } from '../../src/core/text.js';

describe('thousands', () => {
  it("writes numbers as toLocaleString('en-US') does, without ICU", () => {
    for (const value of [0, 7, 999, 1000, 12_345, 530_000, 1_000_000, 10_485_760, -1_234_567, 1234.5]) {
      // eslint-disable-next-line no-restricted-syntax -- the reference it must match
      expect(thousands(value)).toBe(value.toLocaleString('en-US'));
    }
  });
});
