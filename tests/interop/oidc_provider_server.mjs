// panva's oidc-provider as a second, independent OpenID Provider for the interoperability tests.
// ES256 signing keys only; name and email are given in userinfo only (conformIdTokenClaims).
// Configured by environment variables (see tests/integration/auth/servers.py, start_oidc_provider):
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS, POST_LOGOUT_REDIRECT_URIS (comma-separated), BACKCHANNEL_LOGOUT_URI
// It listens on a free 127.0.0.1 port and prints one JSON line {"issuer": ...} when ready.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const list = (value) => (value || '').split(',').filter(Boolean);

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-es256', alg: 'ES256', use: 'sig' };

// The devInteractions login page accepts any login; the login is the resident's email address.
async function findAccount(ctx, id) {
  const local = id.split('@')[0];
  const name = local.split('.').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(' ');
  return {
    accountId: id,
    async claims() {
      return { sub: `interop-${id}`, name, email: id, email_verified: true };
    },
  };
}

const configuration = {
  clients: [{
    client_id: env.CLIENT_ID,
    client_secret: env.CLIENT_SECRET,
    redirect_uris: list(env.REDIRECT_URIS),
    post_logout_redirect_uris: list(env.POST_LOGOUT_REDIRECT_URIS),
    backchannel_logout_uri: env.BACKCHANNEL_LOGOUT_URI || undefined,
    backchannel_logout_session_required: true,
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  findAccount,
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: true,
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
  },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
