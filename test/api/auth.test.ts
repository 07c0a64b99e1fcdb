// TokenCheck, the bearer-token comparison both gateways run per call: it
// accepts exactly the token (whatever its length or characters) and says
// what is wrong otherwise. The gateways' 401/UNAUTHENTICATED answers are
// tested end to end in http-errors.test.ts and grpc.test.ts.
import t from 'tap';
import fc from 'fast-check';
import { TokenCheck } from '../../dist/api/auth.js';

const TOKEN = 'k3Jx9_QeLwZ-7vYb0aTnHs2Rc5UuMdFgPiE1oBhKyA8';

t.test('the token is accepted, with any case of "Bearer" and any spacing', async (t) => {
  const check = new TokenCheck(TOKEN);
  for (const header of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER   ${TOKEN}  `, `Bearer\t${TOKEN}`]) {
    t.equal(check.check(header), undefined, JSON.stringify(header));
  }
});

t.test('anything else is refused with a message saying what is wrong', async (t) => {
  const check = new TokenCheck(TOKEN);
  t.match(check.check(undefined)?.message, /no "authorization" header/);
  t.match(check.check('')?.message, /no "authorization" header/);
  t.match(check.check(`Basic ${TOKEN}`)?.message, /not of the form "Bearer TOKEN"/);
  t.match(check.check('Bearer')?.message, /not of the form "Bearer TOKEN"/);
  const wrong = [
    TOKEN.slice(0, -1), // a prefix
    `${TOKEN}x`, // one more character
    `${TOKEN.slice(0, -1)}B`, // same length, last character differs
    `X${TOKEN.slice(1)}`, // same length, first character differs
    `${TOKEN}${'\0'.repeat(300)}`, // the token, then NULs past the compared span
    'x'.repeat(1000),
  ];
  for (const token of wrong) {
    const err = check.check(`Bearer ${token}`);
    t.equal(err?.code, 'UNAUTHENTICATED', `refused: ${JSON.stringify(token.slice(0, 50))} (${token.length} chars)`);
    t.match(err?.message, /the token is wrong/);
  }
});

t.test('tokens shorter than 16 characters are refused at start', async (t) => {
  t.throws(() => new TokenCheck('short'), RangeError);
  t.doesNotThrow(() => new TokenCheck('0123456789abcdef'));
});

t.test('property: a token of any length and characters matches itself and nothing else', async (t) => {
  // Bearer tokens have no whitespace; the header regex takes \S+.
  const tokenArb = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~+/=é€😀'), minLength: 16, maxLength: 400 });
  let runs = 0;
  fc.assert(fc.property(tokenArb, tokenArb, (token, other) => {
    runs++;
    const check = new TokenCheck(token);
    if (check.check(`Bearer ${token}`) !== undefined) return false;
    return (check.check(`Bearer ${other}`) === undefined) === (other === token);
  }), { numRuns: 300 });
  // and near misses: the token with one code unit changed, cut or extended
  fc.assert(fc.property(tokenArb, fc.nat(), fc.constantFrom('change', 'cut', 'extend'), (token, at, how) => {
    runs++;
    const i = at % token.length;
    const near = how === 'cut' ? token.slice(0, i) : how === 'extend' ? `${token}a` : `${token.slice(0, i)}${String.fromCharCode((token.charCodeAt(i) + 1) % 0xffff || 1)}${token.slice(i + 1)}`;
    if (/\s/.test(near) || near === '') return true; // not a header value the regex passes on
    return new TokenCheck(token).check(`Bearer ${near}`)?.code === 'UNAUTHENTICATED';
  }), { numRuns: 300 });
  t.equal(runs, 600);
});

// Issue #16 item 21: properties over the whole UTF-16 range. They catch a
// compare that looks at part of each code unit (only its low byte, say) and
// a header with text after the token, both of which passed the tests above.

/** One UTF-16 code unit, any of the 65,536 (lone surrogates included), but no whitespace: a token cannot carry it. */
const unitArb = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)).filter((c) => !/\s/.test(c));
const anyTokenArb = fc.string({ unit: unitArb, minLength: 16, maxLength: 300 });
/** Text after the token: something that is not only whitespace, after optional whitespace. */
const trailingArb = fc.tuple(fc.constantFrom('', ' ', '\t', '  ', '\u00a0', ' \t '), fc.string({ unit: unitArb, minLength: 1, maxLength: 20 }))
  .map(([gap, text]) => `${gap}${text}`);

/** `s` with the code unit at `i` replaced by `c` */
function withUnit(s: string, i: number, c: number): string {
  return `${s.slice(0, i)}${String.fromCharCode(c)}${s.slice(i + 1)}`;
}

t.test('property: any UTF-16 token matches itself, and no token that differs only in the high (or low) byte of one code unit', async (t) => {
  let runs = 0;
  fc.assert(fc.property(anyTokenArb, fc.nat(), fc.integer({ min: 1, max: 0xff }), fc.boolean(), (token, at, delta, high) => {
    runs++;
    const check = new TokenCheck(token);
    if (check.check(`Bearer ${token}`) !== undefined) return false;
    const i = at % token.length;
    const c = token.charCodeAt(i);
    // flip bits of one byte only: the other byte stays the same
    const changed = high ? c ^ (delta << 8) : c ^ delta;
    const near = withUnit(token, i, changed);
    if (/\s/.test(near)) return true; // whitespace: not a token the header can carry
    return check.check(`Bearer ${near}`)?.message.includes('the token is wrong') === true;
  }), { numRuns: 1000 });
  // whole tokens that agree in every low byte (or every high byte) but are not equal
  fc.assert(fc.property(anyTokenArb, fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 1 }), fc.boolean(), (token, bytes, high) => {
    runs++;
    let other = '';
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      const b = bytes[i % bytes.length]!;
      other += String.fromCharCode(high ? (c & 0x00ff) | (b << 8) : (c & 0xff00) | b);
    }
    if (/\s/.test(other)) return true;
    return (new TokenCheck(token).check(`Bearer ${other}`) === undefined) === (other === token);
  }), { numRuns: 1000 });
  t.equal(runs, 2000);
});

t.test('property: any header value is accepted only when it is "Bearer", whitespace, the token and nothing but whitespace after it', async (t) => {
  let runs = 0;
  // the token, then text that is not only whitespace: always refused
  fc.assert(fc.property(anyTokenArb, trailingArb, fc.constantFrom('Bearer ', 'bearer\t', 'BEARER   '), (token, trailing, scheme) => {
    runs++;
    const err = new TokenCheck(token).check(`${scheme}${token}${trailing}`);
    return err?.code === 'UNAUTHENTICATED';
  }), { numRuns: 1000 });
  // arbitrary header values over the whole UTF-16 range (whitespace included): refused unless they carry the token
  const headerArb = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 400 });
  fc.assert(fc.property(anyTokenArb, headerArb, fc.constantFrom('', 'Bearer ', 'bearer  '), (token, header, scheme) => {
    runs++;
    const value = `${scheme}${header}`;
    const accepted = new TokenCheck(token).check(value) === undefined;
    const carries = /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1] === token;
    return accepted === carries;
  }), { numRuns: 1000 });
  t.equal(runs, 2000);
});
