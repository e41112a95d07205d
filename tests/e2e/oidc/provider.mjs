// A real OpenID Connect provider on the loopback address for the login journeys (npm package oidc-provider).
// Usage: node provider.mjs <port> <config.json>; config: {client_id, client_secret, redirect_uri, accounts: {id: claims}}.
// Sign-in is oidc-provider's development login form: the login field is the account id (any password).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: [config.redirect_uri],
    post_logout_redirect_uris: [config.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the claims go into the ID token, which is what st.user shows
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['involve-test-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
// st.login asks for prompt=select_account (Google, Microsoft); oidc-provider supports login, consent and none
// only. This provider has one account per browser session, so choosing the account is the login form itself.
provider.use(async (ctx, next) => {
  if (ctx.path === '/auth' && ctx.query.prompt) {
    const prompts = String(ctx.query.prompt).split(' ').filter((p) => p !== 'select_account');
    const query = { ...ctx.query };
    if (prompts.length) query.prompt = prompts.join(' '); else delete query.prompt;
    ctx.query = query;
  }
  await next();
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
