// Statuspage's management API driven by a client nobody here wrote: the `statuspage` package
// from the npm registry (a promise-based statuspage.io client: `Authorization: OAuth`,
// form-encoded `component[status]=...` bodies, `.json` paths). Only its base URL is changed,
// from https://api.statuspage.io to the debug `cachet` binary on a free loopback port.
//
// Creates an admin and an admin-scope token with the CLI, starts `cachet serve --demo`, then
// through the client: lists the components, creates one, sets its status, deletes it, and
// checks each step through the public Statuspage JSON. Exits non-zero on the first failure.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const StatusPage = require('statuspage');

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'cachet');
const dir = mkdtempSync(join(tmpdir(), 'cachet-sp-client-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CACHET_')));
env.RUST_LOG = 'warn';
env.CACHET_DATABASE_URL = `sqlite://${join(dir, 'cachet.db')}`;

let failed = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed += 1;
}

function cli(args, input) {
  const r = spawnSync(bin, args, { cwd: dir, env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cachet ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop();
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

cli(['user', 'create', '--email', 'ops@example.com', '--role', 'admin'], 'statuspage client pass phrase 7\n');
const token = cli(['token', 'create', '--email', 'ops@example.com', '--scope', 'admin', '--name', 'statuspage-client']);
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--public-url', url], {
  cwd: dir,
  env,
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
server.stderr.on('data', (d) => {
  stderr += d;
});

try {
  for (let i = 0; ; i += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error(`the server did not answer; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const publicJson = async (path) => (await fetch(`${url}/api/v2/${path}`)).json();
  const pageId = (await publicJson('summary.json')).page.id;

  const client = new StatusPage(token, pageId);
  client.instance.defaults.baseURL = url;

  const listed = await client.getComponents();
  check(Array.isArray(listed) && listed.length > 0, `getComponents lists the demo page's ${listed.length} components and groups`);
  const first = listed.find((c) => !c.group);
  check(first && /^component-\d+$/.test(first.id), `components carry the public ids (${first?.id})`);

  const created = await client.createComponent('Edge');
  check(created.status === 201, `createComponent answers 201 (got ${created.status})`);
  const id = created.data.id;
  check(created.data.name === 'Edge' && created.data.status === 'operational', 'the new component is named and operational');

  const patched = await client.updateComponentState(id, 'major_outage');
  check(patched.status === 200 && patched.data.status === 'major_outage', 'updateComponentState sets major_outage');
  const seen = (await publicJson('components.json')).components.find((c) => c.id === id);
  check(seen?.status === 'major_outage', 'the public Statuspage JSON shows the outage');
  const status = (await publicJson('status.json')).status.indicator;
  check(status === 'critical', `the page indicator is critical (got ${status})`);

  let refused;
  try {
    await client.updateComponentState(id, 'on_fire');
  } catch (e) {
    refused = e.response;
  }
  check(refused?.status === 422 && /component\[status\]/.test(refused?.data?.error ?? ''), 'an unknown status is a 422 naming component[status]');

  const deleted = await client.deleteComponent(id);
  check(deleted.status === 204, `deleteComponent answers 204 (got ${deleted.status})`);
  const gone = (await publicJson('components.json')).components.some((c) => c.id === id);
  check(!gone, 'the deleted component is gone from the public JSON');

  const stranger = new StatusPage('cachet_not_a_real_token', pageId);
  stranger.instance.defaults.baseURL = url;
  let denied;
  try {
    await stranger.getComponents();
  } catch (e) {
    denied = e.response;
  }
  check(denied?.status === 401, 'a wrong key is refused with 401');
} catch (e) {
  check(false, `the client run: ${e.stack ?? e}`);
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
if (failed > 0) {
  console.error(`statuspage client: ${failed} check(s) failed`);
  process.exit(1);
}
console.log('statuspage client: every check passed');
