// A real OpenID Connect provider for the sign-in tests: panva's oidc-provider (a certified
// implementation), with its development login and consent pages. tests/app/oauth.rs starts it:
//
//   node tests/oidc/provider.mjs REDIRECT_URI [--wrong-keys | --rotated-keys]
//
// It listens on a free loopback port and prints its issuer URL once ready. One client is
// registered: `tenshu-test`, secret `tenshu-test-secret`, sending people back to REDIRECT_URI.
//
// Accounts are made up from the login typed on its page (any password): `ann@example.com` is
// itself, with a verified address; `unverified-ann@example.com` has the address ann@example.com,
// which the provider does not vouch for; a login starting with `no-email-` has no address.
//
// It stops when its standard input closes: when the tests that started it end.
//
// With --wrong-keys, the keys it publishes are not the keys it signs with: every ID token it
// issues fails its signature check. With --rotated-keys, it signs with a new key that its key set
// lists only from the second time it is read, as after a rotation: a client that read the keys
// before must read them again.

import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [redirectUri, mode] = process.argv.slice(2);
if (!redirectUri) {
  console.error('usage: node provider.mjs REDIRECT_URI [--wrong-keys | --rotated-keys]');
  process.exit(2);
}

// The new key comes out of the generation as PEM and is read back before it is exported as a
// JWK. Exporting the generated key object itself can deadlock Node.js 20: when the garbage
// collector frees the finished generation job during the export, the job's destructor waits for
// the key's lock, which the export holds (seen in CI, with two keys made at start).
function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const jwk = createPrivateKey(privateKey).export({ format: 'jwk' });
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function publicPart({ kty, n, e, kid, alg, use }) {
  return { kty, n, e, kid, alg, use };
}

function account(login) {
  const claims = { sub: login, name: login };
  if (login.startsWith('unverified-')) {
    claims.email = login.slice('unverified-'.length);
    claims.email_verified = false;
  } else if (!login.startsWith('no-email-')) {
    claims.email = login;
    claims.email_verified = true;
  }
  return { accountId: login, claims: () => claims };
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const key = signingKey();
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'tenshu-test',
    client_secret: 'tenshu-test-secret',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  jwks: { keys: [key] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The address goes into the ID token, as Google's and GitLab's do.
  conformIdTokenClaims: false,
  findAccount: (ctx, id) => account(id),
  pkce: { required: () => true },
  cookies: { keys: [randomUUID()] },
  features: { devInteractions: { enabled: true } },
});

// The key set as published, when it is not the provider's own.
let published = null;
if (mode === '--wrong-keys') {
  published = () => ({ keys: [publicPart({ ...signingKey(), kid: key.kid })] });
} else if (mode === '--rotated-keys') {
  const retired = publicPart(signingKey());
  let reads = 0;
  published = () => {
    reads += 1;
    return { keys: reads === 1 ? [retired] : [retired, publicPart(key)] };
  };
}
if (published) {
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.type = 'application/jwk-set+json';
      ctx.body = published();
      return;
    }
    await next();
  });
}

server.on('request', provider.callback());
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
console.log(issuer);
