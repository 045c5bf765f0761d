// Helpers for the staff pages' browser tests: a real vigil-server home and listener, staff
// accounts made with `vigil-server admin`, and signing in through the real sign-in page.
'use strict';
const assert = require('node:assert/strict');
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

async function signIn(page, url, email) {
  await page.goto(url + '/staff/');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/staff\/(council|review|admin|marking)\.html/);
}

// Runs the scripted device: enrols with the code, writes flags with evidence, submits and syncs.
async function runDevice(dir, trust, code, session, flags, evidence) {
  const args = ['--data', path.join(dir, 'device-' + session), '--trust', trust, '--code', code, '--session', session,
    '--flags', String(flags)];
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

module.exports = { PASSWORD, admin, startServer, newStaffPage, signIn, runDevice, checkAccessibility, markScript, assertNotShown };
