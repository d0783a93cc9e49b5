// A real OpenID Connect provider for OkrGrid's sign-in tests: panva's certified oidc-provider with one confidential
// client, a fixed list of accounts and a plain HTML login form (no JavaScript, so any browser or an HttpClient can
// sign in). Everything is in memory and lives as long as the process.
//
// Settings: command-line options, else environment variables (see README.md or `node server.mjs --help`).
// When listening it prints one line to stdout: `READY <issuer>`. It stops on SIGTERM/SIGINT and when its stdin
// closes, so a test run that dies (and with it the pipe) does not leave a provider behind.

import { generateKeyPairSync, randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const usage = `Usage: node server.mjs [options]   (each option can also come from the environment variable shown)
  --port N                        OIDC_PORT                       listening port; 0 (default) picks a free one
  --host ADDRESS                  OIDC_HOST                       listening address (default 127.0.0.1)
  --issuer URL                    OIDC_ISSUER                     default http://HOST:PORT
  --client-id ID                  OIDC_CLIENT_ID                  default okrgrid
  --client-secret SECRET          OIDC_CLIENT_SECRET              default okrgrid-secret
  --redirect-uri URL (repeat)     OIDC_REDIRECT_URIS              JSON array or space/comma separated;
                                                                  default http://127.0.0.1:5000/signin-oidc
  --post-logout-redirect-uri URL  OIDC_POST_LOGOUT_REDIRECT_URIS  same forms; default http://127.0.0.1:5000/signout-callback-oidc
  --accounts JSON                 OIDC_ACCOUNTS                   [{"sub","email","email_verified","name","preferred_username","password"}]
  --accounts-file PATH            OIDC_ACCOUNTS_FILE              the same JSON in a file
  --ignore-stdin                  OIDC_IGNORE_STDIN=1             keep running when stdin closes (e.g. started with &)
  --help`;

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      accounts: { type: 'string' },
      'accounts-file': { type: 'string' },
      'ignore-stdin': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (err) {
  fail(`${err.message}\n${usage}`);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

const env = process.env;
const host = options.host ?? env.OIDC_HOST ?? '127.0.0.1';
const port = Number(options.port ?? env.OIDC_PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid port: ${options.port ?? env.OIDC_PORT}`);
const clientId = options['client-id'] ?? env.OIDC_CLIENT_ID ?? 'okrgrid';
const clientSecret = options['client-secret'] ?? env.OIDC_CLIENT_SECRET ?? 'okrgrid-secret';
const redirectUris = options['redirect-uri'] ?? list(env.OIDC_REDIRECT_URIS) ?? ['http://127.0.0.1:5000/signin-oidc'];
const postLogoutRedirectUris = options['post-logout-redirect-uri'] ?? list(env.OIDC_POST_LOGOUT_REDIRECT_URIS)
  ?? ['http://127.0.0.1:5000/signout-callback-oidc'];
const accounts = readAccounts();
const watchStdin = !(options['ignore-stdin'] || ['1', 'true'].includes(env.OIDC_IGNORE_STDIN ?? ''));

function fail(message) {
  console.error(`ERROR ${message}`);
  process.exit(2);
}

/** A JSON array, or values separated by spaces or commas; undefined when not set. */
function list(value) {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.trim().startsWith('[')) return JSON.parse(value);
  return value.split(/[\s,]+/).filter(Boolean);
}

function readAccounts() {
  let json = options.accounts ?? env.OIDC_ACCOUNTS;
  const file = options['accounts-file'] ?? env.OIDC_ACCOUNTS_FILE;
  if (json === undefined && file !== undefined) json = readFileSync(file, 'utf8');
  const parsed = json === undefined
    ? [{ sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice Example', preferred_username: 'alice', password: 'alice' }]
    : JSON.parse(json);
  if (!Array.isArray(parsed) || parsed.length === 0) fail('accounts must be a non-empty JSON array');
  for (const account of parsed) {
    if (typeof account.sub !== 'string' || !account.sub) fail('every account needs a "sub"');
    if (typeof account.password !== 'string' || !account.password) fail(`account ${account.sub} needs a "password"`);
  }
  return parsed;
}

// --- accounts -----------------------------------------------------------------------------------------------------

const digest = (text) => createHash('sha256').update(text, 'utf8').digest();

/** The account a login (user name, e-mail or sub) and password identify, or undefined. */
function authenticate(login, password) {
  const wanted = String(login ?? '').trim().toLowerCase();
  const account = accounts.find((a) => [a.preferred_username, a.email, a.sub]
    .some((name) => typeof name === 'string' && name.toLowerCase() === wanted));
  // Compare digests in constant time; a missing account still costs one comparison.
  const ok = timingSafeEqual(digest(account?.password ?? randomBytes(16).toString('hex')), digest(String(password ?? '')));
  return ok && account ? account : undefined;
}

async function findAccount(_ctx, sub) {
  const account = accounts.find((a) => a.sub === sub);
  if (!account) return undefined;
  const { password: _, ...claims } = account;
  // The library keeps only the claims the granted scopes (and the claims parameter) allow.
  return { accountId: sub, claims: async () => claims };
}

// --- provider -----------------------------------------------------------------------------------------------------

// Fresh keys per process: nothing to commit, nothing that outlives a test run.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex') };

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, resolve);
});
const actualPort = server.address().port;
const issuer = (options.issuer ?? env.OIDC_ISSUER ?? `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`)
  .replace(/\/$/, '');

let provider;
try {
  provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      // The library accepts the secret in the body (client_secret_post, what ASP.NET Core's handler sends) or in
      // a Basic header for either registered method.
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'given_name', 'family_name', 'picture', 'locale', 'zoneinfo', 'updated_at'],
    },
    // By the spec, scope-requested claims go to userinfo only when an access token is issued; the web host reads
    // them from the id_token, as it would from most real providers.
    conformIdTokenClaims: false,
    // Our own login form (below) instead of the library's devInteractions, which take any login without a password.
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is implied: the one client is first-party. The documented way to skip it is to hand the library a
    // grant that already covers what is asked for.
    loadExistingGrant,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    renderError,
  });
} catch (err) {
  fail(`invalid configuration: ${err.message}`);
}

async function loadExistingGrant(ctx) {
  const { Grant } = ctx.oidc.provider;
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  const grant = (grantId && await Grant.find(grantId))
    || new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.account.accountId });
  grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
  grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'end_session.error']) {
  provider.on(event, (_ctx, err) => console.error(`${event}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`));
}

// --- interactions: login form and (if ever asked for) consent ------------------------------------------------------

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
    main { max-width: 22rem; margin: 4rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
    h1 { font-size: 1.3rem; font-weight: 500; }
    label { display: block; margin: .8rem 0 .2rem; }
    input { width: 100%; box-sizing: border-box; padding: .45rem; font-size: 1rem; }
    button { margin-top: 1.2rem; width: 100%; padding: .55rem; font-size: 1rem; }
    .error { color: #b00020; }
    .cancel { display: block; margin-top: 1rem; text-align: center; }
  </style>
</head>
<body><main>
<h1>${esc(title)}</h1>
${body}
</main></body>
</html>`;
}

function loginPage(uid, { clientName, login = '', error } = {}) {
  return page('Sign in', `<p>to continue to ${esc(clientName)}</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label for="login">User name or e-mail</label>
  <input id="login" name="login" type="text" value="${esc(login)}" autocomplete="username" required ${login ? '' : 'autofocus'}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required ${login ? 'autofocus' : ''}>
  <button type="submit">Sign in</button>
</form>
<a class="cancel" href="/interaction/${esc(uid)}/abort">Cancel</a>`);
}

function consentPage(uid, clientName) {
  return page('Allow access', `<p>${esc(clientName)} asks to use your account.</p>
<form method="post" action="/interaction/${esc(uid)}/confirm">
  <button type="submit">Continue</button>
</form>
<a class="cancel" href="/interaction/${esc(uid)}/abort">Cancel</a>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!match) return next();
  const [, uid, action = 'show'] = match;
  ctx.set('cache-control', 'no-store');
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    const { prompt, params } = details;
    const client = await provider.Client.find(params.client_id);
    const clientName = client?.clientName ?? params.client_id;
    ctx.type = 'html';

    if (action === 'show' && ctx.method === 'GET') {
      if (prompt.name === 'login') ctx.body = loginPage(uid, { clientName, login: params.login_hint });
      else if (prompt.name === 'consent') ctx.body = consentPage(uid, clientName);
      else ctx.throw(501, `prompt ${prompt.name} is not implemented`);
      return undefined;
    }
    if (action === 'login' && ctx.method === 'POST') {
      if (prompt.name !== 'login') ctx.throw(400, 'not a login prompt');
      const form = await readForm(ctx.req);
      const account = authenticate(form.get('login'), form.get('password'));
      if (!account) {
        // Refused: the form again, with the error (200, as most providers do). The interaction stays open.
        ctx.body = loginPage(uid, { clientName, login: form.get('login') ?? '', error: 'Invalid user name or password.' });
        return undefined;
      }
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    }
    if (action === 'confirm' && ctx.method === 'POST') {
      if (prompt.name !== 'consent') ctx.throw(400, 'not a consent prompt');
      // Following the library's example (example/routes/koa.js): grant what is missing.
      const { details: missing } = prompt;
      const grant = (details.grantId && await provider.Grant.find(details.grantId))
        || new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scope] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scope.join(' '));
      }
      const grantId = await grant.save();
      const consent = details.grantId ? {} : { grantId };
      return provider.interactionFinished(ctx.req, ctx.res, { consent }, { mergeWithLastSubmission: true });
    }
    if (action === 'abort' && ctx.method === 'GET') {
      return provider.interactionFinished(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    }
    ctx.throw(405, 'method not allowed');
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      // An expired or foreign interaction (cookie gone): say so rather than fail with a 500.
      ctx.status = err.status;
      ctx.type = 'html';
      ctx.body = page('Sign-in expired', `<p class="error">${esc(err.error_description ?? err.message)}</p>
<p>Go back to the application and sign in again.</p>`);
      return undefined;
    }
    throw err;
  }
  return undefined;
});

// The library's own pages load a web font from Google; these have no outside references (no internet in tests).
async function logoutSource(ctx, form) {
  ctx.type = 'html';
  ctx.body = page('Sign out', `<p>Do you want to sign out from ${esc(ctx.host)}?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p>You have been signed out.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Sign-in error', Object.entries(out)
    .map(([key, value]) => `<p><strong>${esc(key)}</strong>: <span class="${esc(key)}">${esc(value)}</span></p>`).join('\n'));
}

// --- serve, and stop cleanly ------------------------------------------------------------------------------------------

server.on('request', provider.callback());

let stopping = false;
function stop(reason) {
  if (stopping) return;
  stopping = true;
  console.error(`stopping (${reason})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
if (watchStdin) {
  // The parent holds our stdin; when it closes the pipe (or dies), we go too.
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
}

console.log(`READY ${issuer}`);
