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
