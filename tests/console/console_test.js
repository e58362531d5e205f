// The admin console in a real browser (issue #22; ctest console.browser): Debian's
// chromium, headless, driven by puppeteer-core (package.json; nothing is downloaded).
// Starts its own scimd (a temporary data directory, loopback ports) and walks what a
// customer's admin does: sign in, create a tenant, create a token and read it once,
// provision a user with it over HTTP, see the request (and a failed one, with its SCIM
// error) in the activity table, rotate the token (old and new both work), revoke (401).
// With SCREENSHOT_DIR set it also saves each screen (scripts/console_screenshots.sh).
//
//   node tests/console/console_test.js BUILD_DIR
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const buildDir = path.resolve(process.argv[2] || 'build');
const scimdBin = path.join(buildDir, 'tools', 'scimd');
const shots = process.env.SCREENSHOT_DIR;
const deadline = Date.now() + 240_000;  // the whole test, bounded

let puppeteer;
try {
  puppeteer = require('puppeteer-core');
} catch (e) {
  console.log('console_test: puppeteer-core is not installed (npm ci): skipped');
  process.exit(77);
}
if (!fs.existsSync(CHROMIUM)) {
  console.log(`console_test: no browser at ${CHROMIUM}: skipped`);
  process.exit(77);
}

function fail(msg) {
  console.error('console_test: FAILED: ' + msg);
  process.exitCode = 1;
  throw new Error(msg);
}
function check(cond, msg) { if (!cond) fail(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, ms = 15000) {
  const until = Math.min(Date.now() + ms, deadline);
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) fail('timed out waiting for ' + what);
    await sleep(100);
  }
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scimd-console-'));
  const adminToken = crypto.randomBytes(24).toString('hex');
  const server = spawn(scimdBin, ['--listen', '127.0.0.1:0', '--port-file', path.join(tmp, 'port'),
    '--data', path.join(tmp, 'data'), '--admin-listen', '127.0.0.1:0', '--admin-port-file',
    path.join(tmp, 'admin.port'), '--threads', '1'], {
    env: { ...process.env, SCIMD_ADMIN_TOKEN: adminToken }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverOut = '';
  server.stdout.on('data', (d) => { serverOut += d; });
  server.stderr.on('data', (d) => { serverOut += d; });
  let browser;
  try {
    const readPort = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch (e) { return ''; } };
    const adminPort = await waitFor('scimd to start', () => readPort(path.join(tmp, 'admin.port')));
    const scimPort = readPort(path.join(tmp, 'port'));
    const console_ = `http://127.0.0.1:${adminPort}/console/`;
    const scim = `http://127.0.0.1:${scimPort}/scim/v2`;
    const scimCall = async (method, p, token, body) => {
      const res = await fetch(scim + p, { method, headers: { Authorization: 'Bearer ' + token,
        'Content-Type': 'application/scim+json' }, body: body ? JSON.stringify(body) : undefined });
      return res.status;
    };

    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text() + ' ' + JSON.stringify(m.location()));
    });
    let nextDialog = null;  // what the next prompt/confirm gets
    page.on('dialog', async (d) => {
      if (nextDialog === null) await d.dismiss(); else await d.accept(nextDialog);
      nextDialog = null;
    });
    const shot = async (name) => { if (shots) await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true }); };
    const text = () => page.evaluate(() => document.body.innerText);
    const html = () => page.evaluate(() => document.documentElement.outerHTML);

    // Sign in: a wrong token is refused, the right one lists the tenants.
    await page.goto(console_, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#admin-token');
    await shot('1-sign-in');
    await page.type('#admin-token', 'x'.repeat(40));
    await page.click('#sign-in');
    await waitFor('the refusal', async () => (await text()).includes('refused'));
    check(!page.url().includes(adminToken), 'the token is in the URL');
    await page.type('#admin-token', adminToken);
    await page.click('#sign-in');
    await page.waitForSelector('#new-tenant');
    check(!page.url().includes(adminToken), 'the token is in the URL');
    // The refused sign-in's 401 was expected; from here on the page must have no error.
    check(pageErrors.every((e) => e.includes('401') && e.includes('/admin/v1/tenants')),
      'errors in the page: ' + pageErrors.join('; '));
    pageErrors.length = 0;

    // A tenant.
    await page.type('#new-tenant', 'browser-test');
    await page.click('#create-tenant');
    await page.waitForSelector('#tenant-url');
    const tenantUrl = await page.$eval('#tenant-url', (e) => e.textContent);
    check(tenantUrl === `http://127.0.0.1:${scimPort}/scim/v2`, 'Tenant URL is ' + tenantUrl);
    check((await text()).includes('Secret Token'), 'no "Secret Token" label');

    // A token, read once.
    await page.click('#generate-secret');
    await page.waitForSelector('#secret-token');
    const first = await page.$eval('#secret-token', (e) => e.textContent);
    check(/^scimd_/.test(first), 'the new secret looks wrong');
    await shot('2-tenant-new-secret');
    await page.click('#secret-done');
    await waitFor('the secret to go', async () => !(await html()).includes(first));
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#token-rows tr[data-token]');
    check(!(await html()).includes(first), 'the secret is shown a second time');

    // Provisioned over HTTP with it; the request, and a failed one, in the activity table.
    check(await scimCall('POST', '/Users', first, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'ada@example.com' }) === 201, 'POST /Users with the new token');
    check(await scimCall('POST', '/Users', first, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }) === 400,
      'a POST without userName');
    await waitFor('the POST in the activity table', async () =>
      page.$$eval('#activity-rows tr', (rows) => rows.some((r) => r.innerText.includes('/Users') && r.innerText.includes('201'))));
    await waitFor('the failed POST with its error', async () =>
      page.$$eval('#activity-rows tr', (rows) => rows.some((r) => r.innerText.includes('400') && r.innerText.includes('userName'))));
    await page.select('#activity-outcome', 'failed');
    await waitFor('only failures', async () => page.$$eval('#activity-rows tr',
      (rows) => rows.length > 0 && rows.every((r) => !r.innerText.includes('\t201\t'))));
    await shot('3-activity');

    // Rotate: the old token keeps working in its grace period, the new one works too.
    const tokenId = await page.$eval('#token-rows tr[data-token]', (r) => r.dataset.token);
    nextDialog = '1h';
    await page.click(`#token-rows tr[data-token="${tokenId}"] button[data-action="rotate"]`);
    await page.waitForSelector('#secret-token');
    const second = await page.$eval('#secret-token', (e) => e.textContent);
    check(second !== first && /^scimd_/.test(second), 'the rotated secret looks wrong');
    check(await scimCall('GET', '/Users', first) === 200, 'the old token after the rotation');
    check(await scimCall('GET', '/Users', second) === 200, 'the new token after the rotation');
    await page.click('#secret-done');
    await shot('4-tokens');

    // Revoke both: 401.
    const ids = await page.$$eval('#token-rows tr[data-token]', (rows) => rows.map((r) => r.dataset.token));
    check(ids.length === 2, 'two tokens after a rotation, not ' + ids.length);
    for (const id of ids) {
      nextDialog = '';
      await page.click(`#token-rows tr[data-token="${id}"] button[data-action="revoke"]`);
      await waitFor('token ' + id + ' to go', async () =>
        !(await page.$(`#token-rows tr[data-token="${id}"]`)));
    }
    check(await scimCall('GET', '/Users', second) === 401, 'the revoked new token');
    check(await scimCall('GET', '/Users', first) === 401, 'the revoked old token');

    // The list shows the tenant with its user; a narrow screen still reads.
    await page.goto(console_ + '#/', { waitUntil: 'domcontentloaded' });
    await waitFor('the tenant in the list', async () => (await text()).includes('browser-test'));
    await page.setViewport({ width: 360, height: 740 });
    await shot('5-tenants-narrow');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, 'the page is wider than a narrow screen by ' + overflow + ' px');
    check(pageErrors.length === 0, 'errors in the page: ' + pageErrors.join('; '));
    console.log('console_test: ok (sign in, tenant, token shown once, activity, rotate, revoke)');
  } finally {
    if (browser) await browser.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    fs.rmSync(tmp, { recursive: true, force: true });
    if (process.exitCode) console.error(serverOut.slice(-2000));
  }
}

main().catch((e) => {
  if (!process.exitCode) {
    console.error('console_test: ' + (e && e.stack ? e.stack : e));
    process.exitCode = 1;
  }
});
