// A real sitting for browser tests: the real vigil-server (initialised, serving on 127.0.0.1, a
// candidate added, a package built from a content folder, a sitting scheduled to have started
// and a start code issued) and an enrolled vigil-client data folder that can be started with
// `startClient()`. Everything lives in a temp folder; stop() ends the processes.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { env, tempDir, startProcess, run } = require('./harness');

async function must(exe, args, options) {
  const r = await run(exe, args, options);
  assert.equal(r.code, 0, `${path.basename(exe)} ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function isoMinutesFromNow(minutes) {
  return new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// options: contentDir (default: the practitioner sample), assessmentId, accommodations
// {extraTimePercent, extraBreakMinutes, knowledgeOnly}, startInMinutes (default -5: already open),
// enrol (default true; false leaves enrolment to the test, with `enrolmentCode`).
async function prepareSitting(options = {}) {
  const SERVER = env('VIGIL_SERVER_EXE');
  const CLIENT = env('VIGIL_CLIENT_EXE');
  const root = tempDir('vigil-sitting-');
  const home = path.join(root, 'server');
  const clientDir = path.join(root, 'client');
  const contentDir = options.contentDir || path.join(env('VIGIL_SOURCE_DIR'), 'server/content/practitioner');
  const assessmentId = options.assessmentId
    || JSON.parse(fs.readFileSync(path.join(contentDir, 'assessment.json'), 'utf8')).id;

  const port = await freePort();
  await must(SERVER, ['init', home, '--host', '127.0.0.1', '--port', String(port)]);
  const server = startProcess(SERVER, ['serve', home]);
  await server.waitFor(/listening on/);

  const added = await must(SERVER, ['admin', 'add-candidate', home, '--council', 'northmere', '--council-name',
    'Northmere Borough Council', '--candidate', 'c-0001', '--name', 'Test Candidate', '--email',
    'test.candidate@example.org', '--level', 'practitioner']);
  const enrolmentCode = added.match(/enrolment code: ([A-Z0-9-]+)/)[1];
  await must(SERVER, ['package', 'build', contentDir, '--home', home]);
  const acc = options.accommodations;
  if (acc) {
    const args = ['admin', 'set-accommodations', home, '--candidate', 'c-0001'];
    if (acc.extraTimePercent) args.push('--extra-time-percent', String(acc.extraTimePercent));
    if (acc.extraBreakMinutes) args.push('--extra-break-minutes', String(acc.extraBreakMinutes));
    if (acc.knowledgeOnly) args.push('--knowledge-only');
    await must(SERVER, args);
  }
  // A new sitting gets its start code at once (for the phone line), so the grant carries the offline key.
  const scheduled = await must(SERVER, ['admin', 'schedule', home, '--candidate', 'c-0001', '--assessment', assessmentId,
    '--start', isoMinutesFromNow(options.startInMinutes ?? -5)]);
  const startCode = scheduled.match(/start code: ([A-Z0-9-]+)/)[1];

  fs.mkdirSync(clientDir, { recursive: true });
  fs.copyFileSync(path.join(home, 'published/client-trust.json'), path.join(clientDir, 'server-trust.json'));
  const clientArgs = ['--data', clientDir, '--key-storage', 'file'];
  if (options.enrol !== false) {
    await must(CLIENT, [...clientArgs, 'enrol', '--trust', path.join(clientDir, 'server-trust.json'), '--code', enrolmentCode]);
  }

  const children = [server];
  // A client of the same server for another candidate (one added with `admin add-candidate`):
  // a new enrolment code from `admin new-code`, a data folder of its own, enrolled; start() as
  // startClient below. For a candidate's result page when their sitting was made by another device.
  async function clientFor(candidate) {
    const dir = path.join(root, 'client-' + candidate);
    fs.mkdirSync(dir, { recursive: true });
    const issued = await must(SERVER, ['admin', 'new-code', home, '--candidate', candidate]);
    const code = issued.match(/enrolment code: ([A-Z0-9-]+)/)[1];
    const args = ['--data', dir, '--key-storage', 'file'];
    await must(CLIENT, [...args, 'enrol', '--trust', path.join(clientDir, 'server-trust.json'), '--code', code]);
    return {
      dir,
      async start() {
        const proc = startProcess(CLIENT, [...args, 'start', '--no-browser']);
        children.push(proc);
        const m = await proc.waitFor(/ui: (http:\/\/127\.0\.0\.1:\d+\/launch\?token=\S+)/);
        return { proc, url: m[1], readyAt: Date.now() };
      },
    };
  }
  return {
    root, home, clientDir, contentDir, assessmentId, startCode, enrolmentCode, server,
    clientArgs, clientFor,
    // Starts `vigil-client start` and resolves with {proc, url, readyAt} once it printed its address
    // (a one-time launch token: the first page.goto(url) uses it up; the cookie it sets is what lasts).
    async startClient(extra = []) {
      const proc = startProcess(CLIENT, [...clientArgs, 'start', '--no-browser', ...extra]);
      children.push(proc);
      const m = await proc.waitFor(/ui: (http:\/\/127\.0\.0\.1:\d+\/launch\?token=\S+)/);
      return { proc, url: m[1], readyAt: Date.now() };
    },
    client(args) { return run(CLIENT, [...clientArgs, ...args]); },
    async stop() { for (const c of children) await c.stop('SIGTERM'); },
  };
}

// A fetch from the page (the client's UI API answers only its own origin).
async function call(page, method, p, body) {
  return page.evaluate(async ([m, pp, b]) => {
    const init = { method: m, headers: {} };
    if (b !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(b); }
    const r = await fetch(pp, init);
    return { status: r.status, body: await r.json().catch(() => ({})) };
  }, [method, p, body]);
}

async function until(what, fn, tries = 120) {
  for (let i = 0; i < tries; i += 1) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Sits and submits through the real client's UI API on a page already at the client's address:
// download, unlock, identity (human alternative), answer the first question, finish every
// section, submit. With `answers` (an item type -> the value saved for every item of that type,
// e.g. { written: { text } }, or a function item -> value, undefined to skip; see keyedAnswers)
// those items of every section are answered instead of the first question. Resolves with the signed receipt once the server has it (receipt.session_id is the
// sitting id).
async function sitAndSubmit(page, sitting, answers = null) {
  assert.equal((await call(page, 'POST', '/api/download', {})).status, 200);
  assert.equal((await call(page, 'POST', '/api/unlock', { start_code: sitting.startCode })).status, 200);
  await call(page, 'POST', '/api/identity', {});
  assert.equal((await call(page, 'POST', '/api/identity', { consent: 'human' })).status, 200);
  if (!answers) {
    const section = (await call(page, 'GET', '/api/section')).body;
    const first = section.items[0];
    assert.equal((await call(page, 'PUT', `/api/answers/${first.id}`, { value: first.type === 'multiple' ? { choices: [...Array(first.select).keys()] } : { choice: 0 } })).status, 200);
  }
  // Finishing the last section submits (a final review phase, if any, is submitted explicitly).
  let phase = '';
  for (let i = 0; i < 20; i += 1) {
    phase = (await call(page, 'GET', '/api/state')).body.runner.phase;
    if (phase === 'review' || phase === 'submitted') break;
    if (phase === 'break') { await call(page, 'POST', '/api/break/end', {}); continue; }
    for (const item of (answers ? (await call(page, 'GET', '/api/section')).body.items : null) || []) {
      const value = typeof answers === 'function' ? answers(item) : answers[item.type];
      if (value === undefined) continue;
      const saved = await call(page, 'PUT', `/api/answers/${item.id}`, { value });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
    }
    await call(page, 'POST', '/api/section/finish', {});
  }
  if (phase === 'review') {
    const submitted = await call(page, 'POST', '/api/submit', { confirm: true });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  }
  return until('the receipt', async () => (await call(page, 'GET', '/api/state')).body.receipt);
}

// An `answers` function for sitAndSubmit: every objective item answered as keyed in the content
// folder (the test knows the key; the client never does), written items with `writtenText`.
function keyedAnswers(contentDir, writtenText) {
  const assessment = JSON.parse(fs.readFileSync(path.join(contentDir, 'assessment.json'), 'utf8'));
  const key = new Map();
  for (const s of assessment.sections) {
    for (const item of JSON.parse(fs.readFileSync(path.join(contentDir, s.file), 'utf8')).items) key.set(item.id, item);
  }
  return (item) => {
    if (item.type === 'written') return { text: writtenText };
    const keyed = key.get(item.id);
    assert.ok(keyed, `item ${item.id} is not in ${contentDir}`);
    return item.type === 'single' ? { choice: keyed.answer[0] } : { choices: [...keyed.answer] };
  };
}

module.exports = { prepareSitting, must, call, until, sitAndSubmit, keyedAnswers };
