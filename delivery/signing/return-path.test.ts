import { describe, expect, it } from 'vitest';
import { createDeliveryToken, readDeliveryToken, readReturnPath, returnPathFor } from './return-path.ts';

const secret = 'return-path-secret-0123456789';

describe('the per-delivery return path', () => {
  it('encodes the issue and subscriber in a lower-case token that reads back with the same secret', () => {
    const token = createDeliveryToken({ issue: 12, subscriberId: 40_321 }, secret);
    expect(token).toMatch(/^[a-z2-7]{26}$/);
    expect(readDeliveryToken(token, secret)).toEqual({ issue: 12, subscriberId: 40_321 });
    expect(readDeliveryToken(token.toUpperCase(), secret)).toEqual({ issue: 12, subscriberId: 40_321 });
  });

  it('makes the same token for a delivery on every call, as mail already sent carries it, one token after another', () => {
    // Made before the cipher was kept between tokens: bounces of mail sent then must still read back.
    const sent = { 'jnz7cohuk7vlhj4ongc2h4rww4': { issue: 12, subscriberId: 40_321 }, dwwiw4pismemtm75z65fhpo6qq: { issue: 0, subscriberId: 1 }, '6aaqpkwudjarnmjknxxzjkui64': { issue: 4_000_000_000, subscriberId: 2 ** 48 - 1 } };
    for (let round = 0; round < 3; round++) {
      for (const [token, ref] of Object.entries(sent)) {
        expect(createDeliveryToken(ref, secret)).toBe(token);
        expect(readDeliveryToken(token, secret)).toEqual(ref);
        // A token under another secret in between leaves nothing behind for the next.
        expect(readDeliveryToken(createDeliveryToken(ref, 'another-secret-0123456789'), secret)).toBeUndefined();
      }
    }
    const many = Array.from({ length: 500 }, (_, i) => ({ issue: 7, subscriberId: i * 977 }));
    const tokens = many.map((ref) => createDeliveryToken(ref, secret));
    expect(new Set(tokens).size).toBe(many.length);
    expect(tokens.reverse().map((token) => readDeliveryToken(token, secret))).toEqual(many.reverse());
  });

  it('shows neither the issue nor the subscriber id in the address', () => {
    const a = returnPathFor({ issue: 3, subscriberId: 7 }, 'bounces@bounce.news.example.org', secret);
    expect(a).toMatch(/^bounces\+[a-z2-7]{26}@bounce\.news\.example\.org$/);
    expect(a.length).toBeLessThan(64 + 1 + 'bounce.news.example.org'.length);
    expect(createDeliveryToken({ issue: 3, subscriberId: 8 }, secret)).not.toBe(createDeliveryToken({ issue: 3, subscriberId: 7 }, secret));
  });

  it('refuses a token made with another secret, a changed character or a made-up value', () => {
    const token = createDeliveryToken({ issue: 5, subscriberId: 99 }, secret);
    expect(readDeliveryToken(token, 'another-secret-0123456789')).toBeUndefined();
    const changed = (token[0] === 'a' ? 'b' : 'a') + token.slice(1);
    expect(readDeliveryToken(changed, secret)).toBeUndefined();
    expect(readDeliveryToken('a'.repeat(26), secret)).toBeUndefined();
    expect(readDeliveryToken('short', secret)).toBeUndefined();
  });

  it('finds the genuine return path among header values, skipping forged ones', () => {
    const genuine = returnPathFor({ issue: 9, subscriberId: 1 }, 'bounces@b.example.org', secret);
    const forged = `bounces+${'q'.repeat(26)}@b.example.org`;
    expect(readReturnPath([undefined, `<${forged}>`, `"Bounces" <${genuine.toUpperCase()}>`], secret)).toEqual({ issue: 9, subscriberId: 1 });
    expect(readReturnPath([forged, 'someone@example.org'], secret)).toBeUndefined();
  });
});
