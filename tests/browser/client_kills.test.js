// Crash safety of the candidate client under a browser-driven session: the client is killed
// (SIGKILL) at random moments while the page is open and answers are being saved, VIGIL_KILLS
// times (default 50). After every restart:
//  - every answer the client acknowledged ("saved") is there, with the latest acknowledged value
//    (or the value of a save that was still in flight at the kill);
//  - no two acknowledgements of the same question carry the same revision.
// "Latest" is by the revision the client returns, never by the order the page receives the
// responses: the page sends a burst of saves at once, the client applies them one at a time, but
// its worker threads write the responses concurrently, so a save applied earlier can be
// acknowledged to the page after one applied later. Pending saves are kept one entry per save,
// not one per value: two saves in flight with the same value are two chances for it to land.
//  - the time left is within 1 s of what it was at the kill (time while the client was not
//    running is not counted; the runner gives back at most 0.5 s);
//  - the candidate is on the same question.
// At the end the session is submitted and its journal verifies, with one interruption recorded
// per kill.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser } = require('./lib/harness');
const { prepareSitting } = require('./lib/sitting');

const KILLS = Number(process.env.VIGIL_KILLS || 50);

// Runs fetch inside the page (same origin, the launch cookie), so every request is the browser's.
async function call(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const init = { method: m, headers: {} };
    if (b !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(b); }
    try {
      const r = await fetch(p, init);
      return { status: r.status, body: await r.json().catch(() => ({})) };
    } catch (e) {
      return { status: 0, body: {} };
    }
  }, [method, path, body]);
}

function randomValue(item, n) {
  if (item.type === 'single') return { choice: Math.floor(Math.random() * item.options.length) };
  if (item.type === 'multiple') {
    const picks = new Set();
    while (picks.size < item.select) picks.add(Math.floor(Math.random() * item.options.length));
    return { choices: [...picks].sort((a, b) => a - b) };
  }
  return { text: `Draft ${n}: ${'words '.repeat(1 + Math.floor(Math.random() * 40))}` };
}

test(`${KILLS} kills of the client during a browser-driven session lose no saved answer and no time`, async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();

    // First launch: download, unlock online, identity, into the knowledge section.
    let { proc, url } = await sitting.startClient();
    await page.goto(url);
    for (const [path, body] of [['/api/download', {}], ['/api/unlock', {}], ['/api/identity', {}],
      ['/api/identity', { consent: 'human' }]]) {
      const r = await call(page, 'POST', path, body);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    }
    const section = (await call(page, 'GET', '/api/section')).body;
    assert.equal(section.id, 'knowledge');
    const items = section.items;

    // item id -> {value (JSON text), revision}: what the store must hold unless a pending save
    // landed. revision 0 marks a value read back after a restart: every later save outranks it.
    const reference = new Map();
    const pending = new Map();   // item id -> [value, ...]: one entry per save not acknowledged yet
    const revisions = new Map(); // item id -> Set of acknowledged revisions (never reused)
    const violations = [];       // collected in the response handlers, asserted after each burst
    let reordered = 0;           // acknowledgements that reached the page after a later save's
    let expectedItem = 0;
    let saves = 0;
    let lastRemaining = null;    // {ms, at}: the time left and when the client said so
    let worstDrift = 0;

    for (let kill = 1; kill <= KILLS; kill += 1) {
      // Burst of work: navigation and saves, some still in flight when the kill lands.
      const work = [];
      const burst = 1 + Math.floor(Math.random() * 6);
      for (let i = 0; i < burst; i += 1) {
        const index = Math.floor(Math.random() * items.length);
        const item = items[index];
        const value = JSON.stringify(randomValue(item, saves += 1));
        if (!pending.has(item.id)) pending.set(item.id, []);
        pending.get(item.id).push(value);
        work.push(call(page, 'PUT', `/api/answers/${item.id}`, { value: JSON.parse(value) }).then((r) => {
          // Acknowledged only with the whole response read: the kill can cut a response after its
          // status line. No response, a cut one, or a server error: the save may or may not have
          // landed, so it stays pending. A refusal (4xx) means it was not stored.
          const ok = r.status === 200 && r.body.saved === true;
          if (ok || (r.status >= 400 && r.status < 500)) {
            const list = pending.get(item.id);
            list.splice(list.indexOf(value), 1);
          }
          if (!ok) return;
          const rev = r.body.revision;
          if (!Number.isInteger(rev) || rev < 1) {
            violations.push(`${item.id}: acknowledged without a revision (${JSON.stringify(r.body)})`);
            return;
          }
          if (!revisions.has(item.id)) revisions.set(item.id, new Set());
          if (revisions.get(item.id).has(rev)) violations.push(`${item.id}: revision ${rev} acknowledged twice`);
          revisions.get(item.id).add(rev);
          const ref = reference.get(item.id);
          if (ref === undefined || rev > ref.revision) reference.set(item.id, { value, revision: rev });
          else reordered += 1;
        }));
      }
      const nav = Math.floor(Math.random() * items.length);
      const navDone = call(page, 'POST', '/api/navigate', { item_index: nav }).then((r) => {
        if (r.status === 200) expectedItem = nav;
      });
      const st = await call(page, 'GET', '/api/state');
      if (st.status === 200) lastRemaining = { ms: st.body.runner.section_remaining_ms, at: Date.now() };
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      const killedAt = Date.now();
      proc.child.kill('SIGKILL');
      await proc.exited;
      await Promise.allSettled([...work, navDone]);
      assert.deepEqual(violations, [], `kill ${kill}: acknowledgements`);
      const remainingAtKill = lastRemaining.ms - (killedAt - lastRemaining.at);

      // Restart and look.
      ({ proc, url } = await sitting.startClient());
      const readyAt = Date.now();
      await page.goto(url);
      const state = await call(page, 'GET', '/api/state');
      const polledAt = Date.now();
      assert.equal(state.status, 200);
      const runner = state.body.runner;
      assert.equal(runner.phase, 'section', `kill ${kill}: phase after restart`);
      assert.equal(runner.section_index, 0);
      // The timer resumed when the client started (before it printed its address).
      const expected = remainingAtKill - (polledAt - readyAt);
      const drift = runner.section_remaining_ms - expected;
      assert.ok(Math.abs(drift) <= 1000,
        `kill ${kill}: ${runner.section_remaining_ms} ms left after restart, expected ${expected} (drift ${drift} ms)`);
      worstDrift = Math.max(worstDrift, Math.abs(drift));
      assert.equal(runner.interruptions, kill);
      lastRemaining = { ms: runner.section_remaining_ms, at: polledAt };

      const now = (await call(page, 'GET', '/api/section')).body;
      // A navigation still in flight at the kill may or may not have landed.
      assert.ok(now.item_index === expectedItem || now.item_index === nav,
        `kill ${kill}: on question ${now.item_index}, expected ${expectedItem} (or ${nav})`);
      expectedItem = now.item_index;
      // Every question, answered or not: an answer must not appear from nowhere either.
      for (const item of now.items) {
        const got = JSON.stringify(item.answer);
        const ref = reference.get(item.id) || { value: 'null', revision: 0 };
        const maybe = pending.get(item.id) || [];
        assert.ok(got === ref.value || maybe.includes(got),
          `kill ${kill}: ${item.id} is ${got}, acknowledged ${ref.value} (revision ${ref.revision}); ` +
          `unacknowledged saves ${JSON.stringify(maybe)}`);
        // The old client is gone, so nothing pending can land any more: what the store holds is
        // now the reference, and any later save outranks it.
        reference.set(item.id, { value: got, revision: 0 });
      }
      pending.clear();
    }

    // Submit: the knowledge section ends into the break, which the candidate skips, and so on.
    for (let guard = 0; guard < 10; guard += 1) {
      const st = (await call(page, 'GET', '/api/state')).body.runner;
      if (st.phase === 'submitted') break;
      if (st.phase === 'break') await call(page, 'POST', '/api/break/end', {});
      else if (st.section_index + 1 === st.section_count) await call(page, 'POST', '/api/submit', { confirm: true });
      else await call(page, 'POST', '/api/section/finish', {});
    }
    const final = (await call(page, 'GET', '/api/state')).body;
    assert.equal(final.runner.phase, 'submitted');
    const sittingId = final.package.sitting_id;
    await proc.stop('SIGTERM');

    const verify = await sitting.client(['verify-journal', sittingId]);
    assert.equal(verify.code, 0, `journal: ${verify.stdout}${verify.stderr}`);
    console.log(`# ${KILLS} kills, ${saves} saves sent, ${revisions.size} questions answered, ${reordered} acknowledgements arrived after a later save's, worst timer drift ${worstDrift} ms; journal: ${verify.stdout.trim().split('\n')[0]}`);
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
