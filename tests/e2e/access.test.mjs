// End to end: staff sign-in through Cloudflare Access. The test plays the Access team: it makes
// an RSA key pair with node:crypto, serves its JWKS on loopback (ACCESS_JWKS_URL), and signs
// RS256 tokens that it sends in `Cf-Access-Jwt-Assertion`, as Access does in front of /admin.
// The Worker verifies them with WebCrypto. Checks: a valid token → 200 (actor = its email);
// expired, wrong audience, wrong issuer, bad signature and unknown kid → 401 `unauthorized`; a
// signed-in email without a role → 403; bearer tokens keep working; the JWKS is fetched once.
// Run alone: scripts/e2e --test-name-pattern=access

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { startWorker } from './harness.mjs';
import { call, assertError, devVarsExample } from './lib.mjs';

const TEAM = 'aurora-e2e.cloudflareaccess.com';
const AUD = 'e2e-audience-4f1c2d';

let worker;
let server;
let jwksFetches = 0;
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...key.publicKey.export({ format: 'jwk' }), kid: 'e2e-k1', alg: 'RS256', use: 'sig' };

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/cdn-cgi/access/certs') {
      jwksFetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk], public_cert: { kid: 'e2e-k1', cert: 'unused' } }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  worker = await startWorker({
    vars: {
      ...devVarsExample(),
      ACCESS_AUD: AUD,
      ACCESS_TEAM_DOMAIN: TEAM,
      ACCESS_JWKS_URL: `http://127.0.0.1:${server.address().port}/cdn-cgi/access/certs`,
      STAFF_ROLES: 'alice@shop.example=admin,@shop.example=support',
    },
  });
});

after(async () => {
  if (worker) await worker.stop();
  if (server) server.close();
});

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An RS256 JWT as Access issues it; `overrides` change claims, `opts` the kid and key. */
function token(overrides = {}, { kid = 'e2e-k1', privateKey = key.privateKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: [AUD], email: 'Alice@Shop.Example', exp: now + 600, iat: now, nbf: now,
    iss: `https://${TEAM}`, type: 'app', identity_nonce: 'n', sub: 'user-1', country: 'NL',
    ...overrides,
  };
  const input = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const asStaff = (jwt, path = '/v1/admin/tickets') =>
  call(worker.url, 'GET', path, { headers: { 'cf-access-jwt-assertion': jwt } });

describe('cloudflare access', () => {
  it('a valid token is the person named by its email claim', async () => {
    const res = await asStaff(token());
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body.tickets), res.text);
    // GET /v1/admin/me (the console's route) names the actor once it is in the router.
    const me = await asStaff(token(), '/v1/admin/me');
    if (me.status !== 404) {
      assert.equal(me.status, 200, me.text);
      assert.deepEqual(
        { actor: me.body.actor, role: me.body.role, via: me.body.via },
        { actor: 'alice@shop.example', role: 'admin', via: 'access' },
      );
    }
    // A domain entry of STAFF_ROLES gives support: tickets yes, analytics no.
    assert.equal((await asStaff(token({ email: 'carol@shop.example' }))).status, 200);
    assertError(await asStaff(token({ email: 'carol@shop.example' }), '/v1/admin/analytics'), 403, 'forbidden');
  });

  it('expired, not yet valid, wrong audience and wrong issuer → 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [what, claims] of [
      ['expired', { exp: now - 3600, iat: now - 7200, nbf: now - 7200 }],
      ['not yet valid', { nbf: now + 3600 }],
      ['wrong audience', { aud: ['another-application'] }],
      ['wrong issuer', { iss: 'https://someone-else.cloudflareaccess.com' }],
    ]) {
      const res = await asStaff(token(claims));
      assertError(res, 401, 'unauthorized');
      assert.match(res.body.error.message, /cloudflare access token rejected/, `${what}: ${res.text}`);
    }
  });

  it('a bad signature, an unknown kid and junk → 401, never 500', async () => {
    for (const jwt of [
      token({}, { privateKey: otherKey.privateKey }),
      token({}, { kid: 'rotated-away' }),
      token().replace(/\.[^.]+$/, '.AAAA'),
      `${token().split('.').slice(0, 2).join('.')}.`,
      'not-a-jwt',
      `${b64({ alg: 'none', kid: 'e2e-k1' })}.${b64({ email: 'alice@shop.example' })}.`,
    ]) {
      assertError(await asStaff(jwt), 401, 'unauthorized');
    }
  });

  it('signed in without a role → 403; bearer tokens still work; the keys are cached', async () => {
    assertError(await asStaff(token({ email: 'eve@elsewhere.example' })), 403, 'forbidden');
    const bearer = await call(worker.url, 'GET', '/v1/admin/tickets', {
      headers: { authorization: `Bearer ${devVarsExample().SUPPORT_TOKEN}` },
    });
    assert.equal(bearer.status, 200, bearer.text);
    // One fetch at the first token, at most one more for the unknown kid (bounded refetch).
    assert.ok(jwksFetches >= 1 && jwksFetches <= 2, `JWKS fetched ${jwksFetches} times`);
  });
});
