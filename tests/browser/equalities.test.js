// Equalities monitoring in the real browser, end to end: a candidate submits (knowledge only),
// finds the optional questions on the submitted screen, skips them once, then answers them with
// the keyboard only; the client sends them to the real server. A programme admin then opens the
// Reports page from the admin page: one scored sitting, so every group is withheld; the CSV
// downloads; no page shows a person. axe-core on every page state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { prepareSitting, must, call, until, sitAndSubmit } = require('./lib/sitting');
const { launchBrowser, checkAccessibility, env } = require('./lib/harness');
const { admin, newStaffPage, signIn } = require('./lib/staff');

// Tabs until the focused element satisfies pred (at most 30 presses).
async function tabTo(page, what, pred) {
  for (let i = 0; i < 30; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(pred)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

test('the optional equalities questions are skippable and keyboard-operable, and only admins see the aggregate report', async () => {
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const client = await sitting.startClient();
    await page.goto(client.url);
    const receipt = await sitAndSubmit(page, sitting);

    // Offered on the submitted screen, clearly optional.
    await page.goto(new URL('/', client.url).href);
    await page.getByRole('heading', { name: 'Your assessment is submitted' }).waitFor();
    const link = page.getByRole('link', { name: 'Answer the equalities questions (optional)' });
    await link.waitFor();
    await checkAccessibility(page, 'submitted screen with the equalities offer');
    await link.click();
    await page.getByRole('heading', { name: 'Equalities monitoring (optional)' }).waitFor();
    await page.locator('#eq-form:not([hidden])').waitFor();
    assert.match(await page.locator('main').innerText(), /never see them/);
    await checkAccessibility(page, 'equalities questions');

    // Skipping stores nothing and goes back to the assessment.
    await page.getByRole('link', { name: 'Skip: back to my assessment' }).click();
    await page.getByRole('heading', { name: 'Your assessment is submitted' }).waitFor();
    assert.equal((await call(page, 'GET', '/api/equalities')).body.declaration, null);

    // Keyboard only: age 35 to 44 (arrows), ethnic group left unanswered, disability "Yes"
    // (space), sex left unanswered, then Enter on Save.
    await page.goto(new URL('/equalities.html', client.url).href);
    await page.locator('#eq-form:not([hidden])').waitFor();
    await tabTo(page, 'the age question', () => document.activeElement.name === 'age_band');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'ethnicity');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'disability');
    await page.keyboard.press('Space');
    await tabTo(page, 'the save button', () => document.activeElement.textContent === 'Save my answers');
    await page.keyboard.press('Enter');
    await page.locator('#eq-status', { hasText: 'Thank you' }).waitFor();
    await checkAccessibility(page, 'equalities questions, saved');
    const kept = (await call(page, 'GET', '/api/equalities')).body.declaration;
    assert.deepEqual(kept, { v: 1, age_band: '35_44', ethnicity: null, disability: 'yes', sex: null });
    // The client sends them to the server by itself.
    await until('the answers to reach the server', async () => (await call(page, 'GET', '/api/equalities')).body.sent);
    await page.reload();
    await page.locator('#eq-status', { hasText: 'They have been sent' }).waitFor();
    assert.equal(await page.locator('#eq-age_band-2').isChecked(), true);

    // The programme scores the sitting; an admin opens the Reports page from the admin page.
    await must(env('VIGIL_SERVER_EXE'), ['results', 'score', sitting.home, '--sitting', receipt.session_id]);
    await admin(sitting.home, ['create-user', '--email', 'admin@example.org', '--name', 'Ada Admin', '--role', 'programme_admin']);
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const staff = await newStaffPage(browser);
    await signIn(staff, url, 'admin@example.org');
    await staff.getByRole('link', { name: 'Equalities monitoring and item statistics' }).click();
    await staff.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await staff.locator('#eq-section:not([hidden])').waitFor();
    await staff.locator('#items-section:not([hidden])').waitFor();
    const age = staff.getByRole('table', { name: 'Age band: outcomes and proctoring flags by group' });
    await age.waitFor();
    // One sitting: its group is under 10, so withheld; nothing names the candidate.
    assert.match(await age.innerText(), /35 to 44\s+Withheld \(small group\)/);
    assert.match(await staff.locator('#eq-summary').innerText(), /1 scored sittings/);
    const shown = await staff.locator('main').innerText();
    for (const personal of ['c-0001', 'Test Candidate', 'test.candidate@example.org', receipt.session_id]) {
      assert.ok(!shown.includes(personal), `the Reports page shows ${personal}`);
    }
    assert.ok(await staff.getByRole('table', { name: 'Objective items' }).locator('tbody tr').count() >= 1);
    await checkAccessibility(staff, 'reports page');

    const [download] = await Promise.all([staff.waitForEvent('download'),
      staff.getByRole('link', { name: 'Download the equalities report (CSV)' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^characteristic,group,candidates,met,not_met,flagged,flag_rate_percent,suppressed\r\n/);
    assert.match(csv, /"Age band","35 to 44",,,,,,yes/);
    assert.ok(!csv.includes('c-0001'));

    // A council manager is refused: the API answers 403 and the page sends them to their own.
    await admin(sitting.home, ['create-user', '--email', 'manager@northmere.example.org', '--name', 'Nia Manager',
      '--role', 'council_manager', '--council', 'northmere']);
    const manager = await newStaffPage(browser);
    await signIn(manager, url, 'manager@northmere.example.org');
    const refused = await manager.evaluate(async (w) => (await fetch(`/staff/api/reports/${w}/equalities`)).status,
      sitting.assessmentId);
    assert.equal(refused, 403);
    await manager.goto(url + '/staff/reports.html');
    await manager.waitForURL(/\/staff\/council\.html/);
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
