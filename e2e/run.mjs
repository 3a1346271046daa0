// Browser end-to-end tests of the dashboard, sign-in with TOTP and the one-time setup,
// in Debian's headless Chromium against the debug standalone binary.
//
//   node run.mjs            (from e2e/, after `cargo build --workspace` and `npm ci`)
//
// Starts `target/debug/cachet serve` on a fresh SQLite database in a temporary directory and
// a free port, reads the setup token from its standard output, and drives Chromium through:
// setup, enabling 2FA (the TOTP code computed here from the secret the page shows as text),
// sign-out, sign-in with 2FA (a wrong code and a replayed code refused first), creating a
// component and an incident in the dashboard, seeing them on the public page, subscribing
// by mail and by SMS (the code read from a generic SMS gateway served here), signing out; then the negative paths: a cross-site form post from a page served on another
// port, and a viewer trying a manager's action. Screenshots of the main pages in light and
// dark mode and at a phone's width go to e2e/artifacts/, axe-core checks each main page (any
// serious or critical violation fails the run), and every class on each page must have a rule
// in the page's stylesheets. Exit status 0 only when every check passed.

import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const bin = join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'cachet');
const artifacts = join(here, 'artifacts');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const PASSWORD = 'tangerine orbit cactus lullaby';
const VIEWER_PASSWORD = 'velvet harbor quantum pickle';
const ADMIN = 'admin@example.com';
const VIEWER = 'viewer@example.com';

let failures = 0;
const log = (...a) => console.log('[e2e]', ...a);
function check(ok, what) {
  if (ok) {
    log('ok  ', what);
  } else {
    failures += 1;
    console.error('[e2e] FAIL', what);
  }
}

// ---- TOTP (RFC 6238: SHA-1, 6 digits, 30 s) -------------------------------------------------

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').replace(/\s+/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

// ---- the server -------------------------------------------------------------------------------

function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startServer(dir, port, extraEnv = {}) {
  const url = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHET_')));
  Object.assign(env, extraEnv);
  env.RUST_LOG = 'warn';
  const child = spawn(
    bin,
    ['--database-url', `sqlite://${join(dir, 'cachet.db')}`, 'serve', '--bind', `127.0.0.1:${port}`, '--public-url', url],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const token = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`no setup token within 60 s; stderr:\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^setup token: (\S+)$/m);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code) => rej(new Error(`server exited (${code}); stderr:\n${stderr}`)));
  });
  for (let i = 0; i < 100; i += 1) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, token, stderr: () => stderr };
}

function createViewer(dir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHET_')));
  env.RUST_LOG = 'warn';
  const r = spawnSync(
    bin,
    ['--database-url', `sqlite://${join(dir, 'cachet.db')}`, 'user', 'create', '--email', VIEWER, '--role', 'viewer', '--name', 'Vera Viewer'],
    { cwd: dir, env, input: `${VIEWER_PASSWORD}\n`, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`cachet user create failed: ${r.stderr}`);
}

// ---- page helpers -----------------------------------------------------------------------------

async function axeCheck(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result) {
    log(`     axe ${name}: ${v.impact} ${v.id} (${v.nodes}): ${v.help}`);
  }
  check(bad.length === 0, `axe: no serious or critical violations on ${name}`);
}

/**
 * Every class on the rendered page is named by a selector of one of the page's stylesheets
 * (user content inside `.markdown` aside: its classes come from the author). A class with no
 * rule is markup nobody styled.
 */
async function classCheck(page, name) {
  const unstyled = await page.evaluate(() => {
    const defined = new Set();
    const walk = (rules) => {
      for (const rule of rules) {
        if (rule.selectorText) {
          for (const m of rule.selectorText.matchAll(/\.([A-Za-z_][\w-]*)/g)) defined.add(m[1]);
        }
        if (rule.cssRules) walk(rule.cssRules);
      }
    };
    for (const sheet of document.styleSheets) walk(sheet.cssRules);
    const missing = new Set();
    for (const el of document.querySelectorAll('[class]')) {
      if (el.closest('.markdown')) continue;
      for (const c of el.classList) if (!defined.has(c)) missing.add(c);
    }
    return [...missing].sort();
  });
  check(unstyled.length === 0, `every class on ${name} has a stylesheet rule${unstyled.length ? `: missing ${unstyled.join(', ')}` : ''}`);
}

/**
 * Screenshots in light and dark mode at desktop width and in light mode at a phone's width,
 * the accessibility check in both schemes, and the stylesheet check.
 */
async function capture(page, name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(artifacts, `${name}-${scheme}.png`), fullPage: true });
    await axeCheck(page, `${name} (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(artifacts, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
  await classCheck(page, name);
}

async function submitFirstForm(page, selector) {
  await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
}

async function signIn(page, url, email, password) {
  await page.goto(`${url}/auth/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('text=Sign out')]);
}

async function postForm(page, url, path, fields) {
  // A form built in the page (as a hand-crafted request would be), carrying the page's CSRF
  // token; answers the status of the response.
  const resp = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(
      ({ action, fields: f }) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = action;
        const token = document.querySelector('input[name=_token]');
        const all = { ...f, _token: token ? token.value : '' };
        for (const [k, v] of Object.entries(all)) {
          const i = document.createElement('input');
          i.type = 'hidden';
          i.name = k;
          i.value = v;
          form.appendChild(i);
        }
        document.body.appendChild(form);
        form.submit();
      },
      { action: `${url}${path}`, fields },
    ),
  ]);
  return resp[0];
}

// ---- the run ---------------------------------------------------------------------------------

async function main() {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build --workspace\` first`);
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install chromium`);
  mkdirSync(artifacts, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'cachet-e2e-'));
  const profile = mkdtempSync(join(tmpdir(), 'cachet-e2e-chromium-'));
  // A generic SMS gateway (the `http` provider's JSON POST): it keeps what it is sent, so the
  // visitor's confirmation code can be read as a phone would.
  const smsPort = await freePort();
  const texts = [];
  const gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      try {
        texts.push(JSON.parse(body));
      } catch {
        // not a message: nothing to keep
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"e2e"}');
    });
  });
  await new Promise((r) => gateway.listen(smsPort, '127.0.0.1', r));
  const port = await freePort();
  const server = await startServer(dir, port, {
    CACHET_SMS_PROVIDER: 'http',
    CACHET_SMS_ALLOWED_REGIONS: 'US,GB',
    CACHET_SMS_HTTP_URL: `http://127.0.0.1:${smsPort}/send`,
    CACHET_SMS_ALLOW_PRIVATE: 'true',
    CACHET_SMS_ALLOW_HTTP: 'true',
  });
  const { url } = server;
  log('server at', url);

  // The "other site": a page on another port that posts a form to the dashboard.
  const evilPort = await freePort();
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html lang="en"><title>elsewhere</title><body>
<form id="f" method="post" action="${url}/dashboard/tokens">
<input name="name" value="stolen"><input name="scope" value="admin"><input name="_token" value="guess">
</form><script>document.getElementById('f').submit()</script></body></html>`);
  });
  await new Promise((r) => evil.listen(evilPort, '127.0.0.1', r));

  const launch = (dataDir) =>
    chromium.launchPersistentContext(dataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      // axe-core is injected as a script: the pages' CSP (rightly) forbids that.
      bypassCSP: true,
      viewport: { width: 1280, height: 900 },
    });
  const context = await launch(profile);
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(15_000);

  try {
    // -- setup ----------------------------------------------------------------------------
    await page.goto(`${url}/setup`);
    await capture(page, 'setup');
    await page.fill('#token', server.token);
    await page.fill('#site_name', 'Example Status');
    await page.fill('#name', 'Ada Admin');
    await page.fill('#email', ADMIN);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check(new URL(page.url()).pathname === '/dashboard', 'setup signs the first admin in');
    check((await page.textContent('body')).includes('Ada Admin'), 'the dashboard names the admin');
    await capture(page, 'dashboard-home');
    const again = await page.goto(`${url}/setup`);
    check(again.status() === 404, 'setup is closed once an admin exists');

    // -- enable 2FA -------------------------------------------------------------------------
    await page.goto(`${url}/dashboard/profile`);
    await capture(page, 'profile');
    await submitFirstForm(page, 'button:has-text("Set up two-factor authentication")');
    const secretText = (await page.textContent('#totp-secret')).trim();
    check(/^[A-Z2-7]{16,}$/.test(secretText), 'the secret is shown as text for manual entry');
    check((await page.locator('.qr svg').count()) === 1, 'the QR code is an inline SVG');
    await capture(page, 'profile-2fa-enrol');
    const secret = base32Decode(secretText);
    const enrolStep = stepNow();
    const enrolCode = totp(secret, enrolStep);
    await page.fill('#confirm-code', enrolCode);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Turn on two-factor authentication")')]);
    const codes = await page.locator('#recovery-codes li').allTextContents();
    check(codes.length === 10, 'ten recovery codes are shown once');
    check((await page.textContent('#twofa-state')).startsWith('on'), '2FA is on');

    // -- sign out, sign in with 2FA ---------------------------------------------------------
    await signOut(page);
    check(new URL(page.url()).pathname === '/auth/login', 'sign-out lands on the sign-in page');
    await capture(page, 'login');
    const stranger = await page.goto(`${url}/dashboard`);
    check(new URL(page.url()).pathname === '/auth/login' && stranger.ok(), 'a stranger is sent to sign in');
    await signIn(page, url, ADMIN, PASSWORD);
    check(new URL(page.url()).pathname === '/auth/2fa', 'the password leads to the second factor');
    await capture(page, 'login-2fa');
    await page.fill('#code', '000000' === enrolCode ? '111111' : '000000');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check((await page.textContent('body')).includes('wrong or was already used'), 'a wrong code is refused');
    await page.fill('#code', enrolCode);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check(new URL(page.url()).pathname === '/auth/2fa', 'the replayed enrolment code is refused');
    // The next code needs the next 30-second step.
    while (stepNow() <= enrolStep) {
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.fill('#code', totp(secret, stepNow()));
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    check(new URL(page.url()).pathname === '/dashboard', 'a fresh code signs in');

    // -- a component and an incident ------------------------------------------------------------
    await page.goto(`${url}/dashboard/components/new`);
    await page.fill('main form[method=post] [name=name]', 'Payments API');
    await submitFirstForm(page, 'main form[method=post] button[type=submit]');
    check((await page.textContent('body')).includes('Payments API'), 'the component was created in the dashboard');
    await page.goto(`${url}/dashboard/components`);
    await capture(page, 'dashboard-components');
    await page.goto(`${url}/dashboard/incidents/new`);
    await page.fill('main form[method=post] [name=name]', 'Checkout errors');
    if ((await page.locator('main form[method=post] [name=message]').count()) > 0) {
      await page.fill('main form[method=post] [name=message]', 'We are **looking into** failed payments.');
    }
    await submitFirstForm(page, 'main form[method=post] button[type=submit]:not(:has-text("Preview"))');
    await page.goto(`${url}/dashboard/incidents`);
    check((await page.textContent('body')).includes('Checkout errors'), 'the incident was created in the dashboard');
    await capture(page, 'dashboard-incidents');
    // A metric with one point, charted on the public page.
    await page.goto(`${url}/dashboard/metrics/new`);
    await page.fill('main form[method=post] [name=name]', 'Response time');
    await page.fill('main form[method=post] [name=suffix]', 'ms');
    await submitFirstForm(page, 'main form[method=post] button[type=submit]');
    await page.fill('#p-value', '42.5');
    await submitFirstForm(page, 'button:has-text("Add a point")');
    check((await page.textContent('body')).includes('42.5'), 'the metric point was recorded in the dashboard');
    // Planned maintenance, shown on the public page and on its own page.
    await page.goto(`${url}/dashboard/schedules/new`);
    await page.fill('main form[method=post] [name=name]', 'Database upgrade');
    await page.fill('main form[method=post] [name=message]', 'We are moving to **new disks**.');
    await page.fill('main form[method=post] [name=scheduled_at]', '2030-01-15T10:00');
    await submitFirstForm(page, 'main form[method=post] button[type=submit]:not(:has-text("Preview"))');
    await page.goto(`${url}/dashboard/schedules`);
    check((await page.textContent('body')).includes('Database upgrade'), 'the maintenance was scheduled in the dashboard');
    // Every section the dashboard's navigation offers an admin, and the forms that create
    // content: read from the navigation, so a new section is captured and checked without
    // an edit here.
    const navPaths = await page.$$eval('nav.dash-nav a', (links) => links.map((a) => new URL(a.href).pathname));
    check(navPaths.length >= 10, `the dashboard navigation lists its sections (${navPaths.length})`);
    const captured = new Set(['/dashboard', '/dashboard/components', '/dashboard/incidents', '/dashboard/profile']);
    const pages = [
      ...navPaths.filter((p) => !captured.has(p)),
      '/dashboard/components/new',
      '/dashboard/incidents/new',
      '/dashboard/schedules/new',
    ];
    for (const path of pages) {
      const resp = await page.goto(`${url}${path}`);
      check(resp.ok(), `${path} opens (${resp.status()})`);
      await capture(page, `dashboard${path.slice('/dashboard'.length).replaceAll('/', '-')}`);
    }

    // A webhook endpoint with chosen events, its test event and its delivery log (reached from
    // the settings page, not the navigation).
    await page.goto(`${url}/dashboard/settings`);
    await page.click('main a[href="/dashboard/webhooks"]');
    await page.fill('#name', 'Chat ops');
    await page.fill('#url', 'https://hooks.example.com/cachet');
    await page.fill('#secret', 'a signing secret for the browser test');
    await page.uncheck('#events-new-component_status');
    await submitFirstForm(page, 'main form[action="/dashboard/webhooks"] button[type=submit]');
    check(
      !(await page.isChecked('input[id$="-component_status"]:not([id^="events-new"])')),
      'the new endpoint keeps the events ticked for it',
    );
    await submitFirstForm(page, 'main form[action$="/test"] button[type=submit]');
    check((await page.textContent('body')).includes('Chat ops'), 'the test event is queued and the page comes back');
    await capture(page, 'dashboard-webhooks');
    await page.click('main a:has-text("Delivery log")');
    check(/recipient=webhook%3A\d+|recipient=webhook:\d+/.test(page.url()), `the delivery log is filtered by the endpoint (${page.url()})`);
    check(/^webhook:\d+$/.test(await page.inputValue('input[name=recipient]')), 'the recipient filter shows the endpoint');
    await capture(page, 'dashboard-webhook-deliveries');

    // -- the public page, subscribing -------------------------------------------------------------
    // A visitor's browser (its own profile): subscribers are visitors, not signed-in users.
    const visitorProfile = mkdtempSync(join(tmpdir(), 'cachet-e2e-visitor-'));
    const visitor = await launch(visitorProfile);
    try {
      const pub = visitor.pages()[0] || (await visitor.newPage());
      pub.setDefaultTimeout(15_000);
      const publicResp = await pub.goto(`${url}/`);
      check(!(await publicResp.text()).includes('<script'), 'the public page as served holds no script');
      const publicText = await pub.textContent('body');
      check(publicText.includes('Payments API'), 'the component is on the public page');
      check(publicText.includes('Checkout errors'), 'the incident is on the public page');
      await capture(pub, 'public-status');
      // The incident's and the component's own pages, reached by the links a visitor follows.
      for (const [selector, name] of [
        ['main a[href*="/incidents/"]', 'public-incident'],
        ['main a[href*="/components/"]', 'public-component'],
        ['main a[href*="/schedules/"]', 'public-schedule'],
      ]) {
        const href = await pub.locator(selector).first().getAttribute('href');
        const resp = await pub.goto(new URL(href, `${url}/`).href);
        check(resp.ok(), `${name} opens from the status page (${resp.status()})`);
        await capture(pub, name);
        await pub.goto(`${url}/`);
      }
      // The chart's range switcher, without JavaScript in the page: one panel shows, the
      // default view's; a click on a label and the arrow keys switch it.
      const visiblePanels = async () => {
        const out = [];
        for (const p of await pub.locator('figure.chart .chart-panel').all()) {
          if (await p.isVisible()) out.push(await p.getAttribute('class'));
        }
        return out;
      };
      check((await pub.locator('figure.chart').count()) === 1, 'the metric is charted on the public page');
      check(JSON.stringify(await visiblePanels()) === '["chart-panel panel-today"]', 'only the default view (12 hours) shows');
      await pub.click('figure.chart .chart-ranges label:has-text("Month")');
      check(JSON.stringify(await visiblePanels()) === '["chart-panel panel-month"]', 'a click on "Month" shows the month');
      await capture(pub, 'public-status-chart-month');
      await pub.keyboard.press('ArrowLeft');
      check(JSON.stringify(await visiblePanels()) === '["chart-panel panel-week"]', 'the left arrow key moves to the week');
      const focused = await pub.evaluate(() => document.activeElement && document.activeElement.id);
      check(/^metric-\d+-week$/.test(focused || ''), `the focused radio is the week's (${focused})`);
      const sub = await pub.goto(`${url}/subscribe`);
      if (sub.ok() && (await pub.locator('#email').count()) > 0) {
        await capture(pub, 'public-subscribe');
        await pub.fill('#email', 'reader@example.com');
        const [resp] = await Promise.all([
          pub.waitForNavigation(),
          pub.locator('main form[method=post] button[type=submit]').first().click(),
        ]);
        check(resp.status() < 400, `subscribing is accepted (${resp.status()})`);
      } else {
        check(false, `the subscribe page is there (${sub.status()})`);
      }
      // By SMS: the number, the code the gateway got, the confirmation.
      await pub.goto(`${url}/subscribe`);
      const NUMBER = '+12015550123';
      if ((await pub.locator('#phone_number').count()) > 0) {
        await pub.fill('#phone_number', NUMBER);
        await submitFirstForm(pub, 'main form:has(#phone_number) button[type=submit]');
        check((await pub.locator('#code').count()) === 1, 'the SMS form asks for the code');
        await capture(pub, 'public-subscribe-sms-code');
        let code = null;
        for (let i = 0; i < 150 && !code; i += 1) {
          const text = texts.find((t) => t.to === NUMBER && /\b\d{6}\b/.test(t.body || ''));
          if (text) code = text.body.match(/\b(\d{6})\b/)[1];
          else await new Promise((r) => setTimeout(r, 100));
        }
        check(code !== null, `the gateway got the code by SMS (${texts.length} message(s))`);
        if (code) {
          await pub.fill('#code', code);
          await submitFirstForm(pub, 'main form:has(#code) button[type=submit]');
          check((await pub.locator('main p.notice').count()) === 1 && (await pub.locator('#code').count()) === 0, 'the code confirms the number');
          await capture(pub, 'public-subscribe-sms-done');
        }
      } else {
        check(false, 'the subscribe page offers SMS when a gateway is configured');
      }
    } finally {
      await visitor.close();
      rmSync(visitorProfile, { recursive: true, force: true });
    }
    // The admin's own view of the public page.
    await page.goto(`${url}/`);
    check((await page.textContent('body')).includes('Checkout errors'), 'the admin sees the incident on the public page');

    // -- cross-site form post --------------------------------------------------------------------
    const refused = page.waitForResponse((r) => r.url() === `${url}/dashboard/tokens` && r.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    const cross = await refused;
    check(cross.status() === 403, `a cross-site form post is refused (${cross.status()})`);
    await page.goto(`${url}/dashboard/tokens`);
    check(!(await page.textContent('body')).includes('stolen'), 'nothing was created by it');
    await page.goto(`${url}/dashboard/audit?action=csrf_rejected`);
    check((await page.locator('td:has-text("csrf_rejected")').count()) >= 1, 'the refusal is in the audit log');

    await signOut(page);

    // -- a viewer tries a manager's action --------------------------------------------------------
    createViewer(dir);
    await signIn(page, url, VIEWER, VIEWER_PASSWORD);
    check(new URL(page.url()).pathname === '/dashboard', 'the viewer signs in');
    check((await page.locator('a[href="/dashboard/users"]').count()) === 0, 'the viewer is not offered admin sections');
    const viewerPost = await postForm(page, url, '/dashboard/components', { name: 'Viewer was here', status: '1' });
    check(viewerPost.status() === 403, `a viewer's component create is refused (${viewerPost.status()})`);
    await page.goto(`${url}/dashboard/components`);
    check(!(await page.textContent('body')).includes('Viewer was here'), 'nothing was created by the viewer');
    await signOut(page);
  } finally {
    await context.close();
    evil.close();
    gateway.close();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
main()
  .catch((e) => {
    failures += 1;
    console.error('[e2e] error:', e && e.stack ? e.stack : e);
  })
  .finally(() => {
    log(`${failures === 0 ? 'passed' : `${failures} failure(s)`} in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
    process.exit(failures === 0 ? 0 : 1);
  });
