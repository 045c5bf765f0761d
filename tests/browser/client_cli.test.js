// The candidate client's commands and its single-instance rule, on a real sitting: a second
// `vigil-client start` on the same store is refused with a plain message while the first keeps
// every answer, records the attempt and opens its window again with a new one-time launch
// address; a used launch address is refused; a wrong start code is refused and recorded; `check` and
// `export-diagnostics` work and the diagnostics hold no personal data; `pending` (the Windows
// uninstaller's question) says 2 while the store is open, 0 once everything has reached the
// server, 3 when work waits.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareSitting } = require('./lib/sitting');
const { launchBrowser, run } = require('./lib/harness');

async function call(page, method, p, body) {
  return page.evaluate(async ([m, pp, b]) => {
    const init = { method: m, headers: {} };
    if (b !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(b); }
    const r = await fetch(pp, init);
    return { status: r.status, body: await r.json().catch(() => ({})) };
  }, [method, p, body]);
}

test('a second client is refused and recorded, codes are checked, diagnostics carry nothing personal', async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const first = await sitting.startClient();
    await page.goto(first.url);
    // The launch address (on the browser's command line, readable by every local user) is dead
    // once used: a replay gets no cookie.
    const replay = await fetch(first.url, { redirect: 'manual' });
    assert.equal(replay.status, 403);
    assert.equal((await replay.json()).error.code, 'forbidden');
    assert.equal(replay.headers.get('set-cookie'), null);
    assert.equal((await call(page, 'POST', '/api/download', {})).status, 200);

    // A wrong start code: refused with a plain message that says how many tries are left.
    const wrong = await call(page, 'POST', '/api/unlock', { start_code: sitting.startCode === 'ACDE-FGHJ-KMNP' ? 'ACDE-FGHJ-KMNQ' : 'ACDE-FGHJ-KMNP' });
    assert.equal(wrong.status, 401, JSON.stringify(wrong.body));  // auth_failed (shared/http/status.cpp)
    assert.match(wrong.body.error.message, /tr(y|ies)/i);
    // The right one, read out by phone.
    const right = await call(page, 'POST', '/api/unlock', { start_code: sitting.startCode.toLowerCase() });
    assert.equal(right.status, 200, JSON.stringify(right.body));
    await call(page, 'POST', '/api/identity', {});
    assert.equal((await call(page, 'POST', '/api/identity', { consent: 'human' })).status, 200);
    const section = (await call(page, 'GET', '/api/section')).body;
    const written = 'My confidential answer about the family.';
    const item = section.items.find((i) => i.type === 'single');
    assert.equal((await call(page, 'PUT', `/api/answers/${item.id}`, { value: { choice: 1 } })).status, 200);

    // The second instance.
    const second = await sitting.client(['start', '--no-browser']);
    assert.equal(second.code, 75);
    assert.match(second.stderr, /already open on this computer/);
    assert.match(second.stderr, /answers are safe/);
    // The running client opens its window again with a new one-time address, which works once.
    const reopened = (await first.proc.waitFor(/ui: \S+\n[\s\S]*ui: (http:\/\/127\.0\.0\.1:\d+\/launch\?token=\S+)/))[1];
    assert.notEqual(reopened, first.url);
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(reopened);
    assert.equal((await call(otherPage, 'GET', '/api/state')).status, 200);
    assert.equal((await fetch(reopened, { redirect: 'manual' })).status, 403);
    await other.close();
    // The first one still works and keeps the answer.
    const again = (await call(page, 'GET', '/api/section')).body;
    assert.deepEqual(again.items.find((i) => i.id === item.id).answer, { choice: 1 });
    // `pending` (what the Windows uninstaller asks) cannot tell while the store is open: exit 2.
    const busy = await sitting.client(['pending']);
    assert.equal(busy.code, 2, busy.stdout + busy.stderr);
    // ... and turns the attempt into a journal event within a moment.
    await new Promise((r) => setTimeout(r, 600));
    await first.proc.stop('SIGTERM');
    // Once everything has reached the server, `pending` says so with exit 0.
    const synced = await sitting.client(['sync']);
    assert.equal(synced.code, 0, synced.stdout + synced.stderr);
    const none = await sitting.client(['pending']);
    assert.equal(none.code, 0, none.stdout + none.stderr);
    assert.match(none.stdout, /reached the server/);
    // A store with work that never reached a server: exit 3, and it says what is waiting.
    const offline = path.join(sitting.root, 'offline-client');
    const demo = await run(process.env.VIGIL_CLIENT_EXE, ['--data', offline, '--key-storage', 'file', 'demo']);
    assert.equal(demo.code, 0, demo.stdout + demo.stderr);
    const waiting = await run(process.env.VIGIL_CLIENT_EXE, ['--data', offline, '--key-storage', 'file', 'pending']);
    assert.equal(waiting.code, 3, waiting.stdout + waiting.stderr);
    assert.match(waiting.stdout, /NOT YET SENT: [1-9]\d* records/);

    const check = await sitting.client(['check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ready for the assessment/);

    const out = path.join(sitting.root, 'diagnostics.json');
    const diag = await sitting.client(['export-diagnostics', '--out', out]);
    assert.equal(diag.code, 0, diag.stdout + diag.stderr);
    const text = fs.readFileSync(out, 'utf8');
    const d = JSON.parse(text);
    const session = d.sessions[0];
    assert.equal(session.journal_ok, true);
    assert.equal(session.event_counts['instance.refused'], 1);
    assert.equal(session.event_counts['start_code.rejected'], 1);
    assert.equal(session.answers_saved, 1);
    for (const secret of ['c-0001', 'Test Candidate', 'test.candidate@example.org', sitting.startCode, written,
      sitting.root, '"choice"']) {
      assert.equal(text.includes(secret), false, `diagnostics contain ${secret}`);
    }
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
