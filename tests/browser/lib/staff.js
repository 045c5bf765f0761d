// Helpers for the staff pages' browser tests: a real vigil-server home and listener, staff
// accounts made with `vigil-server admin`, and signing in through the real sign-in page.
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { env, tempDir, startProcess, run, checkAccessibility } = require('./harness');

const PASSWORD = 'a long staff password 42';

async function admin(home, args) {
  const r = await run(env('VIGIL_SERVER_EXE'), ['admin', ...args.slice(0, 1), home, ...args.slice(1)],
    { env: { ...process.env, VIGIL_STAFF_PASSWORD: PASSWORD } });
  assert.equal(r.code, 0, `vigil-server admin ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// A fresh server home and a running server on a free port of 127.0.0.1.
// The port goes into the clients' trust file, so it is chosen before init.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function startServer() {
  const dir = tempDir('vigil-staff-');
  const home = path.join(dir, 'home');
  const init = await run(env('VIGIL_SERVER_EXE'), ['init', home, '--port', String(await freePort())]);
  assert.equal(init.code, 0, init.stdout + init.stderr);
  const server = startProcess(env('VIGIL_SERVER_EXE'), ['serve', home]);
  const m = await server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/);
  return { dir, home, server, url: m[1], trust: path.join(home, 'published', 'client-trust.json') };
}

// The dev CA is not in chromium's store: the context accepts the server's certificate (the TLS
// itself is real; the device side checks the certificate properly via client-trust.json).
async function newStaffPage(browser) {
  // bypassCSP: axe-core is injected as an inline script, which the pages' policy (rightly) forbids.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, bypassCSP: true });
  return context.newPage();
}

// TOTP (RFC 6238: HMAC-SHA-1, 30 s, 6 digits) as an authenticator app computes it.
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c); bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// What each account has after its first sign-in (own password, authenticator key, last code step
// used: the server refuses a code twice, so a second sign-in in the same 30 s waits for the next).
const accounts = new Map();
async function nextCode(account) {
  let step = Math.floor(Date.now() / 30000);
  if (account.lastStep !== undefined && step <= account.lastStep) {
    await new Promise((r) => setTimeout(r, (account.lastStep + 1) * 30000 - Date.now() + 200));
    step = Math.floor(Date.now() / 30000);
  }
  account.lastStep = step;
  return totp(account.secret, step);
}

// Signs in through the real pages, completing what a first sign-in owes: the one-time password set
// by `vigil-server admin create-user` is replaced, and admins and proctors set up an authenticator.
async function signIn(page, url, email) {
  const key = url + '|' + email;
  if (!accounts.has(key)) accounts.set(key, { password: PASSWORD });
  const account = accounts.get(key);
  await page.goto(url + '/staff/');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const homes = /\/staff\/(council|review|admin|marking)\.html/;
  for (let guard = 0; guard < 4; ++guard) {
    await page.waitForURL(/\/staff\/(council|review|admin|marking|account)\.html/);
    if (homes.test(page.url())) return;
    const step = await page.waitForFunction(() => ['mfa-step', 'password-step', 'enrol-step']
      .find((id) => !document.getElementById(id).hidden)).then((h) => h.jsonValue());
    if (step === 'mfa-step') {
      await page.getByLabel('Authenticator code').fill(await nextCode(account));
      await page.getByRole('button', { name: 'Continue' }).click();
    } else if (step === 'password-step') {
      const own = PASSWORD + ' then my own';
      await page.getByLabel('Current password').fill(account.password);
      await page.getByLabel('New password').fill(own);
      await page.getByRole('button', { name: 'Save password' }).click();
      account.password = own;
    } else {
      await page.getByRole('button', { name: 'Show my set-up key' }).click();
      await page.locator('#enrol-key').waitFor();   // shown once the server's key is on the page
      account.secret = (await page.locator('#enrol-secret').textContent()).trim();
      await page.getByLabel('Code shown by your app').fill(await nextCode(account));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      await page.getByRole('link', { name: 'Continue' }).click();
    }
    // Done with this step when the page moved on (navigation may destroy the context: that is fine too).
    await page.waitForFunction((id) => !location.pathname.endsWith('/account.html') || document.getElementById(id).hidden, step)
      .catch(() => {});
  }
  await page.waitForURL(homes);
}

// A proctor decides through the real identity pages that the photos of a sitting match (issue 16:
// no result is released before its identity check is decided), for the tests whose subject is
// not identity. The proctor's queue hands them every check that arrived while no proctor existed.
async function identityMatches(browser, url, home, sittingId) {
  const email = 'identity@proctors.example.org';
  if (!accounts.has(url + '|' + email)) await admin(home, ['create-user', '--email', email, '--name', 'Ida Identity', '--role', 'proctor']);
  const page = await newStaffPage(browser);
  await signIn(page, url, email);
  await page.goto(url + '/staff/identity.html');
  await page.locator(`#queue a.open-check[href$="s=${encodeURIComponent(sittingId)}"]`).click();
  await page.getByRole('radio', { name: 'Matches' }).check();
  await page.getByRole('button', { name: 'Record decision' }).click();
  await page.locator('#decide-msg', { hasText: 'Decided: the photos match.' }).waitFor();
  await page.context().close();
}

// A 2x2 PNG: the identity photos and evidence snapshots the scripted devices seal (they seal
// whatever bytes they are given).
const PNG_2X2 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

// The proctors' tests' start (identity_checks, proctor_workload): the practitioner package built
// into the server's home, an admin (Priya Admin) and two proctors (Alex Proctor, then Bo Proctor,
// so Alex has the lower id); returns the package's assessment id.
async function adminAndTwoProctors(s) {
  const content = path.join(env('VIGIL_SOURCE_DIR'), 'server/content/practitioner');
  const assessment = JSON.parse(fs.readFileSync(path.join(content, 'assessment.json'), 'utf8')).id;
  const built = await run(env('VIGIL_SERVER_EXE'), ['package', 'build', content, '--home', s.home]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  await admin(s.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
  await admin(s.home, ['create-user', '--email', 'a@proctors.example.org', '--name', 'Alex Proctor', '--role', 'proctor']);
  await admin(s.home, ['create-user', '--email', 'b@proctors.example.org', '--name', 'Bo Proctor', '--role', 'proctor']);
  return assessment;
}

// Runs the scripted device: enrols with the code, writes flags with evidence, submits and syncs.
// `extra`: more of vigil_device_sim's options (e.g. --face-photo and --id-photo).
async function runDevice(dir, trust, code, session, flags, evidence, extra = []) {
  const args = ['--data', path.join(dir, 'device-' + session), '--trust', trust, '--code', code, '--session', session,
    '--flags', String(flags), ...extra];
  if (evidence) args.push('--evidence', evidence);
  const r = await run(env('VIGIL_DEVICE_SIM'), args);
  assert.equal(r.code, 0, `device simulator failed:\n${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// On the marking page: one mark and a comment per KSS area ("Evidence for P4: mark 6."), then submit.
async function markScript(page, marks) {
  for (const [kss, value] of Object.entries(marks)) {
    await page.getByLabel(new RegExp(`^Mark for ${kss} `)).fill(String(value));
    await page.getByLabel(`Comment for ${kss}`).fill(`Evidence for ${kss}: mark ${value}.`);
  }
  await page.getByRole('button', { name: 'Submit marks' }).click();
}

// Blind marking: none of `secrets` (names, ids, equalities answers) anywhere in the page's HTML.
async function assertNotShown(page, secrets, where) {
  const text = await page.content();
  for (const secret of secrets) assert.ok(!text.includes(secret), `${where} shows ${secret}`);
}

module.exports = { PASSWORD, PNG_2X2, adminAndTwoProctors, accounts, totp, admin, startServer, newStaffPage, signIn, identityMatches, runDevice, checkAccessibility, markScript, assertNotShown };
