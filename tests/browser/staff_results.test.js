// Results on the staff pages, end to end with the real server and client: a knowledge-only
// candidate sits and submits through the real client; the programme admin sets the window's pass
// marks, scores the submitted sittings and releases the window through the Results page (with its
// confirmation); the council manager sees the released result per stage and KSS area, downloads
// the council's CSV and re-endorses the not-met candidate, after which (and only after which)
// `vigil-server admin schedule` accepts their resit in a later window as attempt 2. axe-core on
// every page state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareSitting, must, sitAndSubmit } = require('./lib/sitting');
const { env, launchBrowser, run } = require('./lib/harness');
const { admin, newStaffPage, signIn, identityMatches, checkAccessibility } = require('./lib/staff');

// A copy of the practitioner content under another assessment id: the later window of a resit.
function laterWindow(root, id) {
  const src = path.join(env('VIGIL_SOURCE_DIR'), 'server/content/practitioner');
  const dir = path.join(root, 'content-' + id);
  fs.cpSync(src, dir, { recursive: true });
  const a = JSON.parse(fs.readFileSync(path.join(dir, 'assessment.json'), 'utf8'));
  a.id = id;
  fs.writeFileSync(path.join(dir, 'assessment.json'), JSON.stringify(a, null, 2));
  return dir;
}

test('an admin scores and releases a window, and a council manager sees the result and re-endorses a not-met candidate', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    await admin(sitting.home, ['create-user', '--email', 'admin@example.org', '--name', 'Ada Admin', '--role', 'programme_admin']);
    await admin(sitting.home, ['create-user', '--email', 'manager@northmere.example.org', '--name', 'Nia Manager', '--role', 'council_manager', '--council', 'northmere']);

    // The candidate sits and submits on their own computer (one answer only: not met).
    const candidate = await browser.newPage();
    const client = await sitting.startClient();
    await candidate.goto(client.url);
    const receipt = await sitAndSubmit(candidate, sitting);
    const sittingId = receipt.session_id;
    await candidate.close();

    // The admin's Results page: the window, its counts and the submitted sitting.
    const page = await newStaffPage(browser);
    await signIn(page, url, 'admin@example.org');
    await page.getByRole('link', { name: 'Results' }).click();
    await page.getByRole('heading', { name: 'Results', level: 1 }).waitFor();
    const row = page.locator('#windows tbody tr', { hasText: sitting.assessmentId });
    await row.waitFor();
    assert.deepEqual(await row.locator('td').allInnerTexts(), ['1', '1', '0', '0', '0', '0', '0']);
    await checkAccessibility(page, 'results page, before scoring');

    // Pass marks: out of range is refused by the server; 100% everywhere is saved.
    for (const k of ['Knowledge stage (%)', 'Scenario stage (%)', 'Written stage (%)', 'Overall and each KSS area (%)']) {
      await page.getByLabel(k).fill('100');
    }
    await page.getByRole('button', { name: 'Save pass marks' }).click();
    await page.locator('#window-msg', { hasText: 'Pass marks saved' }).waitFor();

    // The scoring message must never stand beside stale counts: hold the table's refresh back
    // for a moment (a slow server) and read the row the moment the message appears.
    await page.route('**/staff/api/results/windows', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Score submitted sittings' }).click();
    await page.locator('#window-msg', { hasText: '1 sitting(s) scored.' }).waitFor();
    assert.deepEqual(await row.locator('td').allInnerTexts(), ['1', '1', '1', '0', '0', '1', '0']);
    await page.unroute('**/staff/api/results/windows');
    assert.match(await page.locator('#scored').innerText(), new RegExp(sittingId + '\\s+Not met'));
    assert.deepEqual(await row.locator('td').allInnerTexts(), ['1', '1', '1', '0', '0', '1', '0']);
    await checkAccessibility(page, 'results page, scored');

    // A proctor finds that the identity photos match (nothing is released before).
    await identityMatches(browser, url, sitting.home, sittingId);
    // Release, with its confirmation: cancel first, then release.
    await page.getByRole('button', { name: 'Release results for this window' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /cannot be changed or withdrawn/);
    await checkAccessibility(page, 'results page, release confirmation');
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.locator('td').last().innerText(), '0');
    await page.getByRole('button', { name: 'Release results for this window' }).click();
    await page.getByRole('button', { name: 'Release now' }).click();
    await page.locator('#window-msg', { hasText: 'Released 1 result(s) now' }).waitFor();
    assert.match(await page.locator('#window-msg').innerText(), /0 certificate\(s\) issued/);
    assert.equal(await row.locator('td').last().innerText(), '1');
    // Pass marks are fixed after the release.
    await page.getByRole('button', { name: 'Save pass marks' }).click();
    await page.locator('#window-msg', { hasText: 'can no longer change' }).waitFor();
    await checkAccessibility(page, 'results page, released');

    // Before re-endorsement the programme cannot schedule the candidate again.
    const later = laterWindow(sitting.root, 'practitioner-resit');
    await must(SERVER, ['package', 'build', later, '--home', sitting.home]);
    const start = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const schedule = ['admin', 'schedule', sitting.home, '--candidate', 'c-0001', '--assessment', 'practitioner-resit', '--start', start];
    const refused = await run(SERVER, schedule);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /must re-endorse them for a resit/);

    // The council manager: the released result per stage and KSS area.
    const manager = await newStaffPage(browser);
    await signIn(manager, url, 'manager@northmere.example.org');
    const result = manager.locator('#results tbody tr', { hasText: 'Test Candidate' });
    await result.waitFor();
    const text = await result.innerText();
    assert.match(text, /Not met/);
    assert.match(text, /Knowledge: \d+% \(not met\)/);
    assert.match(text, /Scenario: exempt/);
    assert.match(text, /P\d+: \d+%, (at the standard|not at the standard)/);
    await checkAccessibility(manager, 'council page with results');

    // The council's CSV.
    const [download] = await Promise.all([manager.waitForEvent('download'),
      manager.getByRole('link', { name: `Download the results of ${sitting.assessmentId} (CSV)` }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^sitting_id,candidate_id,candidate_name,council_id,attempt,outcome,released,/);
    assert.match(csv, new RegExp(sittingId + ',c-0001,Test Candidate,northmere,1,not_met,\\d{4}-\\d{2}-\\d{2},'));

    // Re-endorse, confirming the browser's question.
    manager.once('dialog', (d) => d.accept());
    await manager.getByRole('button', { name: 'Re-endorse for a resit Test Candidate' }).click();
    await manager.locator('#results-msg', { hasText: 're-endorsed for a resit (attempt 2)' }).waitFor();
    await result.getByText('Re-endorsed for a resit').waitFor();
    await checkAccessibility(manager, 'council page after re-endorsement');

    // Now the resit is scheduled in the later window as attempt 2. (The candidate was added with
    // `vigil-server admin add-candidate`; since schema 10 they are on the council's roster like
    // any other; the status list's resit wording is tested in test_staff_results.cpp.)
    const scheduled = await must(SERVER, schedule);
    assert.match(scheduled, new RegExp('attempt 2: a resit of sitting ' + sittingId));
    await manager.reload();
    await manager.locator('#results tbody tr', { hasText: 'Re-endorsed; resit scheduled' }).waitFor();

    // 200% zoom (640 CSS pixels) in forced colours: only the tables' own boxes scroll sideways.
    for (const [p, name] of [[page, 'results page'], [manager, 'council page with results']]) {
      await p.setViewportSize({ width: 640, height: 900 });
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the ${name} scrolls sideways by ${overflow}px at 200% zoom`);
      await p.emulateMedia({ forcedColors: 'active' });
      await checkAccessibility(p, name + ' at 200% zoom in forced colours');
    }

    // The audit log has every step.
    const audit = await page.evaluate(async () => (await (await fetch('/staff/api/audit?limit=200')).json()).entries.map((e) => e.action));
    for (const a of ['results.thresholds', 'results.score', 'results.release', 'results.export', 'candidate.reendorse']) {
      assert.ok(audit.includes(a), a + ' is audited');
    }
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
