// The candidate's result in the real browser: a knowledge-only candidate sits and submits through
// the UI API, the server scores and releases, the result page shows the outcome, each stage
// (the exempt ones with their reason) and feedback per KSS area; after the server is stopped the
// page still shows it, from the copy kept on the computer. axe on both.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { prepareSitting, must } = require('./lib/sitting');
const { env, launchBrowser, checkAccessibility } = require('./lib/harness');

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

test('the candidate sees the released result per KSS area, also after the server is stopped', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const client = await sitting.startClient();
    await page.goto(client.url);

    // Before anything is released the page says so.
    await page.goto(new URL('/result.html', client.url).href);
    await page.locator('#result-status', { hasText: 'No result has been released' }).waitFor();
    await checkAccessibility(page, 'result page, nothing released');

    // Sit: download, unlock, identity (human alternative), answer the first question, finish, submit.
    assert.equal((await call(page, 'POST', '/api/download', {})).status, 200);
    assert.equal((await call(page, 'POST', '/api/unlock', { start_code: sitting.startCode })).status, 200);
    await call(page, 'POST', '/api/identity', {});
    assert.equal((await call(page, 'POST', '/api/identity', { consent: 'human' })).status, 200);
    const section = (await call(page, 'GET', '/api/section')).body;
    const first = section.items[0];
    assert.equal((await call(page, 'PUT', `/api/answers/${first.id}`, { value: first.type === 'multiple' ? { choices: [...Array(first.select).keys()] } : { choice: 0 } })).status, 200);
    // Finishing the last section submits (a final review phase, if any, is submitted explicitly).
    let phase = '';
    for (let i = 0; i < 10; i += 1) {
      phase = (await call(page, 'GET', '/api/state')).body.runner.phase;
      if (phase === 'review' || phase === 'submitted') break;
      if (phase === 'break') await call(page, 'POST', '/api/break/end', {});
      else await call(page, 'POST', '/api/section/finish', {});
    }
    if (phase === 'review') {
      const submitted = await call(page, 'POST', '/api/submit', { confirm: true });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    }
    const receipt = await until('the receipt', async () => (await call(page, 'GET', '/api/state')).body.receipt);
    const sittingId = receipt.session_id;

    // The programme scores and releases the window.
    const table = await must(SERVER, ['results', 'score', sitting.home, '--sitting', sittingId]);
    assert.match(table, /scenario\s+exempt/);
    await must(SERVER, ['admin', 'release', sitting.home, '--assessment', sitting.assessmentId]);

    await page.reload();
    await page.locator('#result-status', { hasText: 'Your result, as released.' }).waitFor();
    const shown = await page.locator('#result-list').innerText();
    assert.match(shown, /Outcome: (Met|Not met)/);
    assert.match(shown, /Scenario assessment\s+Exempt/);
    assert.match(shown, /Feedback for each KSS area/);
    assert.match(shown, /P\d+\s+\d+%\s+(At the standard|An area to develop)/);
    assert.match(shown, /Next steps/);
    await checkAccessibility(page, 'result page, released');

    // The server goes away for good: the kept copy is shown, and says so.
    await sitting.server.stop('SIGTERM');
    await page.reload();
    await page.locator('#result-status', { hasText: 'cannot be reached' }).waitFor();
    assert.equal(await page.locator('#result-list').innerText(), shown);
    await checkAccessibility(page, 'result page, offline');
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
