// Blind marking in the real browser: a candidate sits the practitioner sample through the real
// client and writes a borderline answer; assessor A marks it from the queue with the keyboard
// (never seeing who wrote it) and the server asks for a second marking; assessor A no longer sees
// it; assessor B marks it without seeing A's marks, the two agree and the marks are final; the
// admin page's progress panel counts it as final. axe-core on every page state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { prepareSitting } = require('./lib/sitting');
const { launchBrowser } = require('./lib/harness');
const { admin, newStaffPage, signIn, checkAccessibility } = require('./lib/staff');

const ANSWER = 'The referral shows a pattern of missed school days.\n\nI would visit within two days, speak to the child alone and agree a plan with the family.';

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

// Sits the whole assessment through the client's UI API, answering only the written task, and
// waits for the server's receipt. Returns the sitting id.
async function sitWithWrittenAnswer(page, sitting, client) {
  await page.goto(client.url);
  assert.equal((await call(page, 'POST', '/api/download', {})).status, 200);
  assert.equal((await call(page, 'POST', '/api/unlock', { start_code: sitting.startCode })).status, 200);
  await call(page, 'POST', '/api/identity', {});
  assert.equal((await call(page, 'POST', '/api/identity', { consent: 'human' })).status, 200);
  let phase = '';
  let wrote = false;
  for (let i = 0; i < 20; i += 1) {
    phase = (await call(page, 'GET', '/api/state')).body.runner.phase;
    if (phase === 'review' || phase === 'submitted') break;
    if (phase === 'break') { await call(page, 'POST', '/api/break/end', {}); continue; }
    const section = (await call(page, 'GET', '/api/section')).body;
    for (const item of section.items || []) {
      if (item.type !== 'written') continue;
      const saved = await call(page, 'PUT', `/api/answers/${item.id}`, { value: { text: ANSWER } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      wrote = true;
    }
    await call(page, 'POST', '/api/section/finish', {});
  }
  assert.ok(wrote, 'the written task was answered');
  if (phase === 'review') assert.equal((await call(page, 'POST', '/api/submit', { confirm: true })).status, 200);
  const receipt = await until('the receipt', async () => (await call(page, 'GET', '/api/state')).body.receipt);
  return receipt.session_id;
}

// Fills in one mark and comment per KSS area and submits.
async function mark(page, marks) {
  for (const [kss, value] of Object.entries(marks)) {
    await page.getByLabel(new RegExp(`^Mark for ${kss} `)).fill(String(value));
    await page.getByLabel(`Comment for ${kss}`).fill(`Evidence for ${kss}: mark ${value}.`);
  }
  await page.getByRole('button', { name: 'Submit marks' }).click();
}

test('two assessors mark a borderline script blind and their agreed marks become final', async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const candidatePage = await browser.newPage();
    const sittingId = await sitWithWrittenAnswer(candidatePage, sitting, await sitting.startClient());

    await admin(sitting.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    await admin(sitting.home, ['create-user', '--email', 'a@assessors.example.org', '--name', 'Ann Assessor', '--role', 'assessor']);
    await admin(sitting.home, ['create-user', '--email', 'b@assessors.example.org', '--name', 'Ben Assessor', '--role', 'assessor']);
    const identity = ['Test Candidate', 'c-0001', 'test.candidate@example.org', 'northmere', 'Northmere', sittingId];
    const assertBlind = async (page, where) => {
      const text = await page.content();
      for (const secret of identity) assert.ok(!text.includes(secret), `${where} shows ${secret}`);
    };

    // Assessor A: the sign-in page sends assessors to the marking page; keyboard to the script.
    const a = await newStaffPage(browser);
    await signIn(a, url, 'a@assessors.example.org');
    await a.waitForURL(/marking\.html/);
    const row = a.locator('#queue tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    await checkAccessibility(a, 'marking queue');
    await a.keyboard.press('j');
    await a.keyboard.press('Enter');
    await a.getByRole('heading', { name: /^Script .*: first marking$/ }).waitFor();
    assert.match(await a.locator('#tasks').innerText(), /missed school days/);
    assert.match(await a.locator('#tasks').innerText(), /\d+ words \(guidance 600 to 1100 words\)/);
    assert.equal(await a.locator('#areas fieldset').count(), 3);   // P4, P6, P7 with their rubrics
    assert.ok((await a.locator('#areas fieldset').first().locator('li').count()) > 0);
    await checkAccessibility(a, 'script, first marking');
    await assertBlind(a, 'the first marking');
    // A bad mark is refused on the page before anything is sent.
    await mark(a, { P4: 11, P6: 6, P7: 6 });
    await a.getByText('The mark for P4 must be a whole number from 0 to 10.').waitFor();
    // 6 + 6 + 6 = 18 of 30: at the 60 % threshold, inside the band: a second marking is needed.
    await mark(a, { P4: 6, P6: 6, P7: 6 });
    await a.getByText(/a second assessor will mark it/).waitFor();
    await a.getByText('No scripts are waiting for you.').waitFor();
    await checkAccessibility(a, 'marking queue after marking');

    // Assessor B: sees the script for a second marking, without A's marks or comments.
    const b = await newStaffPage(browser);
    await signIn(b, url, 'b@assessors.example.org');
    await b.locator('#queue tbody tr').first().waitFor();
    await b.getByRole('button', { name: /^Script / }).click();
    await b.getByRole('heading', { name: /^Script .*: second marking$/ }).waitFor();
    const shown = await b.locator('#script').innerText();
    assert.ok(!shown.includes('Evidence for P4'), 'the second marker does not see the first comments');
    assert.equal(await b.locator('#earlier table').count(), 0);
    await assertBlind(b, 'the second marking');
    await checkAccessibility(b, 'script, second marking');
    // 6 + 7 + 6 = 19: within the tolerance and on the same side: agreed, final.
    await mark(b, { P4: 6, P6: 7, P7: 6 });
    await b.getByText(/The marks of this script are final/).waitFor();

    // The admin's progress panel counts it as final.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, url, 'admin@programme.example.org');
    const progress = adminPage.locator('#marking tbody tr', { hasText: sitting.assessmentId });
    await progress.waitFor();
    assert.deepEqual((await progress.locator('td').allInnerTexts()).map(Number), [0, 0, 0, 1]);
    await checkAccessibility(adminPage, 'administration page with marking progress');
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
