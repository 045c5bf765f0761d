// Crash safety of the candidate client under a browser-driven session: the client is killed
// (SIGKILL) at random moments while the page is open and answers are being saved, VIGIL_KILLS
// times (default 50). After every restart:
//  - every answer the client acknowledged ("saved") is there, with the latest acknowledged value
//    (or a later one whose save was still in flight at the kill);
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

    const acked = new Map();     // item id -> last acknowledged value (JSON text)
    const inFlight = new Map();  // item id -> Set of values sent but not acknowledged at the kill
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
        if (!inFlight.has(item.id)) inFlight.set(item.id, new Set());
        inFlight.get(item.id).add(value);
        work.push(call(page, 'PUT', `/api/answers/${item.id}`, { value: JSON.parse(value) }).then((r) => {
          if (r.status === 200) { acked.set(item.id, value); inFlight.get(item.id).delete(value); }
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
      for (const item of now.items) {
        if (!acked.has(item.id)) continue;
        const got = JSON.stringify(item.answer);
        const allowed = new Set([acked.get(item.id), ...(inFlight.get(item.id) || [])]);
        assert.ok(allowed.has(got), `kill ${kill}: ${item.id} is ${got}, acknowledged ${acked.get(item.id)}`);
        acked.set(item.id, got);  // what the store holds is now the reference
        inFlight.get(item.id).clear();
      }
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
    console.log(`# ${KILLS} kills, ${saves} saves sent, ${acked.size} questions answered, worst timer drift ${worstDrift} ms; journal: ${verify.stdout.trim().split('\n')[0]}`);
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
