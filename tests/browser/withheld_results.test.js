// Issue 16 part 3, "withheld and void results", end to end against the real server over TLS and
// the real client: four candidates of one council sit the same window. Test Candidate sits on the
// real client (sitAndSubmit) and their result page says "Withheld: under review" until a person
// has checked their identity; the three others sit on scripted devices (two of them flagged). One
// flagged sitting is found in breach by two proctors, with a public reason chosen from the
// standard wordings; another stays under review; two proctors find the fourth candidate's photos
// do not match. The admin's Results page counts the withheld sittings by reason and links to
// their list (with links to the review and the identity check); release goes ahead for Test
// Candidate alone. The council's status, filter, results and CSV show the same states with the
// public reasons and never a proctor's note; each candidate's result page, on a client of their
// own, shows their state, and keeps showing it when the server is gone. axe-core on every state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareSitting, must, sitAndSubmit } = require('./lib/sitting');
const { env, launchBrowser } = require('./lib/harness');
const { admin, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');

// 2x2 PNGs for the devices' photos and evidence (a device seals whatever bytes it is given).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const NOTE = 'PRIVATE NOTE for proctors';
const VOID_REASON = 'Another person was present and helped during the assessment.';
const ID_REASON = 'The ID document shows someone other than the endorsed candidate.';

test('withheld and void results: the admin sees how many and why, the council and each candidate see the same state', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const home = sitting.home;
    const trust = path.join(home, 'published', 'client-trust.json');
    const window = sitting.assessmentId;

    // Test Candidate sits on the real client; the result page says the result is under review.
    const candidate = await browser.newPage();
    const client = await sitting.startClient();
    await candidate.goto(client.url);
    const own = (await sitAndSubmit(candidate, sitting)).session_id;
    await candidate.goto(new URL('/result.html', client.url).href);
    await candidate.locator('#result-status', { hasText: 'No result has been released to you yet.' }).waitFor();
    await candidate.locator('#result-list', { hasText: 'Withheld: under review' }).waitFor();
    assert.match(await candidate.locator('#result-list').innerText(), /This is not a decision about you/);
    await checkAccessibility(candidate, 'result page, withheld: under review');

    // Three more candidates of the council sit on scripted devices.
    const photos = [];
    for (const name of ['face.png', 'id.png']) {
      photos.push(path.join(sitting.root, name));
      fs.writeFileSync(photos[photos.length - 1], Buffer.from(PNG, 'base64'));
    }
    const others = {};
    for (const [id, name, flags] of [['c-void', 'Vera Void', 1], ['c-review', 'Rory Review', 1], ['c-ident', 'Ivan Identity', 0]]) {
      const added = await admin(home, ['add-candidate', '--council', 'northmere', '--candidate', id, '--name', name]);
      const scheduled = await admin(home, ['schedule', '--candidate', id, '--assessment', window, '--start',
        new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')]);
      const sit = scheduled.match(/sitting (\S+):/)[1];
      const device = await runDevice(sitting.root, trust, added.match(/enrolment code: (\S+)/)[1], sit, flags, photos[0],
        ['--face-photo', photos[0], '--id-photo', photos[1]]);
      others[id] = { name, sitting: sit, device: device.device_id };
    }

    await admin(home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    await admin(home, ['create-user', '--email', 'a@proctors.example.org', '--name', 'Alex Proctor', '--role', 'proctor']);
    await admin(home, ['create-user', '--email', 'b@proctors.example.org', '--name', 'Bo Proctor', '--role', 'proctor']);
    await admin(home, ['create-user', '--email', 'manager@northmere.example.org', '--name', 'Nia Manager', '--role',
      'council_manager', '--council', 'northmere']);

    // The admin gives every identity check to Alex, and both flagged sessions to Alex and Bo.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, url, 'admin@programme.example.org');
    await adminPage.goto(url + '/staff/identity.html');
    for (const name of ['Test Candidate', 'Vera Void', 'Rory Review', 'Ivan Identity']) {
      const row = adminPage.locator('#queue tbody tr', { hasText: name });
      await row.getByLabel('First proctor for ' + name).selectOption({ label: 'Alex Proctor' });
      await row.getByRole('button', { name: 'Assign for ' + name }).click();
      await adminPage.getByText(`${name}: first proctor is now Alex Proctor.`).waitFor();
    }
    await adminPage.goto(url + '/staff/review.html');
    for (const id of ['c-void', 'c-review']) {
      const s = others[id].sitting;
      const row = adminPage.locator('#queue tbody tr', { hasText: s });
      for (const name of ['Alex Proctor', 'Bo Proctor']) {
        await row.getByLabel('Proctor for session ' + s).selectOption({ label: name });
        await row.getByRole('button', { name: 'Assign session ' + s }).click();
        await adminPage.getByText(`Session ${s} assigned to ${name}.`).waitFor();
      }
    }

    // Alex: the photos of three candidates match; Ivan's do not (with a note and a public reason).
    const a = await newStaffPage(browser);
    await signIn(a, url, 'a@proctors.example.org');
    for (const name of ['Test Candidate', 'Vera Void', 'Rory Review', 'Ivan Identity']) {
      await a.goto(url + '/staff/identity.html');
      await a.getByRole('link', { name }).click();
      await a.getByRole('heading', { name: 'Identity check: ' + name }).waitFor();
      if (name === 'Ivan Identity') {
        await a.getByRole('radio', { name: 'Does not match' }).check();
        await a.getByLabel(/^Note/).fill(NOTE + ': the face differs at the jaw.');
        await a.getByLabel(/^Start the public reason/).selectOption({ label: 'The ID document does not show the name of the endorsed candidate.' });
        await a.getByLabel(/^Public reason/).fill(ID_REASON);
        await a.getByRole('button', { name: 'Record decision' }).click();
        await a.locator('#decide-msg', { hasText: 'A second proctor will now decide this check.' }).waitFor();
      } else {
        await a.getByRole('radio', { name: 'Matches' }).check();
        await a.getByRole('button', { name: 'Record decision' }).click();
        await a.locator('#decide-msg', { hasText: 'Decided: the photos match.' }).waitFor();
      }
    }
    // Alex decides Vera's flag and proposes a breach with a standard public reason.
    await a.goto(url + '/staff/review.html');
    await a.getByRole('link', { name: others['c-void'].sitting }).click();
    await a.getByRole('heading', { name: 'Review session ' + others['c-void'].sitting }).waitFor();
    const flag = a.locator('#flags article').first();
    await flag.getByRole('radio', { name: 'Record a concern' }).check();
    await flag.getByRole('textbox', { name: /^Note/ }).fill(NOTE + ': a second face at 10:02.');
    await flag.getByRole('button', { name: /Save decision/ }).click();
    await flag.getByText('Saved: Concern.').waitFor();
    await a.getByRole('radio', { name: 'Breach of the rules' }).check();
    await a.getByLabel(/^Reasons/).fill(NOTE + ': a second person is visible.');
    await a.getByLabel(/^Start the public reason/).selectOption({ label: VOID_REASON });
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.getByText('Recorded. A second proctor must agree before it takes effect.').waitFor();

    // Bo confirms both, seeing each proposal's public reason.
    const b = await newStaffPage(browser);
    await signIn(b, url, 'b@proctors.example.org');
    await b.goto(url + '/staff/review.html');
    await b.getByRole('link', { name: others['c-void'].sitting }).click();
    await b.locator('#proposed-public-reason', { hasText: VOID_REASON }).waitFor();
    await checkAccessibility(b, 'session page, second proctor with the proposed public reason');
    await b.getByRole('radio', { name: 'Breach of the rules' }).check();
    await b.getByLabel(/^Reasons/).fill(NOTE + ': agreed.');
    await b.getByRole('button', { name: 'Record decision' }).click();
    await b.getByText('Decided: Breach of the rules.').first().waitFor();
    await b.goto(url + '/staff/identity.html');
    await b.getByRole('link', { name: 'Ivan Identity' }).click();
    await b.locator('#proposed-public-reason', { hasText: ID_REASON }).waitFor();
    await b.getByRole('radio', { name: 'Does not match' }).check();
    await b.getByLabel(/^Note/).fill(NOTE + ': agreed, not the same person.');
    await b.getByRole('button', { name: 'Record decision' }).click();
    await b.locator('#decide-msg', { hasText: 'The result of this sitting is withheld.' }).waitFor();

    // The admin's Results page: three withheld, by reason, with links; release goes ahead for the rest.
    await must(SERVER, ['results', 'score', home, '--sitting', own]);
    await adminPage.goto(url + '/staff/results.html?w=' + encodeURIComponent(window));
    const summary = adminPage.locator('#withheld-summary');
    await summary.getByText('3 sitting(s) of this window withheld').waitFor();
    const counts = await adminPage.locator('#withheld-counts').innerText();
    assert.match(counts, /1 withheld: under review/);
    assert.match(counts, /1: proctor review not decided/);
    assert.match(counts, /1 void following a review/);
    assert.match(counts, /1 withheld: identity not confirmed/);
    assert.match(await adminPage.locator('#release-summary').innerText(), /1 scored result\(s\) ready to release now.*3 withheld sitting\(s\) stay back and release goes ahead for the rest/);
    await checkAccessibility(adminPage, 'results page with withheld sittings');
    await adminPage.getByRole('button', { name: 'Release results for this window' }).click();
    await adminPage.getByRole('button', { name: 'Release now' }).click();
    await adminPage.locator('#window-msg', { hasText: 'Released 1 result(s) now' }).waitFor();

    // The withheld list: every one, then only the void one, with its public reason and its review.
    await adminPage.getByRole('link', { name: 'list them all' }).click();
    await adminPage.getByRole('heading', { name: 'Withheld results of ' + window }).waitFor();
    const rows = adminPage.locator('#withheld tbody tr');
    await rows.nth(2).waitFor();
    assert.equal(await rows.count(), 3);
    const all = await adminPage.locator('#withheld').innerText();
    assert.match(all, /Rory Review[\s\S]*Northmere Borough Council[\s\S]*Withheld: under review[\s\S]*proctor review not decided/);
    assert.ok(!all.includes(NOTE), 'the withheld list shows public reasons, never notes');
    await checkAccessibility(adminPage, 'withheld list, every reason');
    await adminPage.getByLabel('Show').selectOption('void_after_review');
    await adminPage.getByRole('button', { name: 'Show' }).click();
    await adminPage.locator('#withheld-caption', { hasText: 'void following a review' }).waitFor();
    assert.equal(await rows.count(), 1);
    const vera = rows.first();
    assert.match(await vera.innerText(), new RegExp('Vera Void[\\s\\S]*Void following a review[\\s\\S]*Public reason: ' + VOID_REASON));
    await checkAccessibility(adminPage, 'withheld list, void following a review');
    await vera.getByRole('link', { name: 'Proctor review of Vera Void' }).click();
    await adminPage.getByRole('heading', { name: 'Review session ' + others['c-void'].sitting }).waitFor();
    await adminPage.getByText('Decided: Breach of the rules.').first().waitFor();
    // Ivan's identity check opens for the admin without its photos.
    await adminPage.goto(url + '/staff/withheld.html?w=' + encodeURIComponent(window) + '&reason=withheld_identity');
    await adminPage.getByRole('link', { name: 'Identity check of Ivan Identity' }).click();
    await adminPage.getByRole('heading', { name: 'Identity check: Ivan Identity' }).waitFor();
    await adminPage.getByText('The photos open only for the proctors of this check.').first().waitFor();
    assert.equal(await adminPage.locator('#photos img').count(), 0);
    assert.equal(await adminPage.locator('#decide').isHidden(), true);
    await checkAccessibility(adminPage, 'identity check followed by an admin');

    // The council: the same states, with the public reasons and never a note.
    const manager = await newStaffPage(browser);
    await signIn(manager, url, 'manager@northmere.example.org');
    const statusRow = (name) => manager.locator('#status tbody tr', { hasText: name });
    await statusRow('Vera Void').waitFor();
    assert.match(await statusRow('Test Candidate').innerText(), /Result released: (met|not met)/);
    assert.match(await statusRow('Vera Void').innerText(), new RegExp('Void following a review: ' + VOID_REASON));
    assert.match(await statusRow('Ivan Identity').innerText(), new RegExp('Withheld: identity not confirmed: ' + ID_REASON));
    assert.match(await statusRow('Rory Review').innerText(), /Withheld: under review/);
    const take = await manager.locator('#summary table').innerText();
    assert.match(take, /Now: Void following a review\s+1/);
    assert.match(take, /Now: Withheld: identity not confirmed\s+1/);
    assert.match(take, /Completed\s+4/);
    const results = await manager.locator('#results').innerText();
    assert.match(results, new RegExp('Vera Void[\\s\\S]*Void following a review: ' + VOID_REASON));
    assert.match(results, /Rory Review[\s\S]*Withheld: under review/);
    const page = await manager.content();
    assert.ok(!page.includes(NOTE), 'the council page shows no proctor note');
    await checkAccessibility(manager, 'council page with withheld and void results');
    await manager.getByLabel('Status', { exact: true }).selectOption({ label: 'Void following a review' });
    await manager.getByRole('button', { name: 'Show' }).click();
    await manager.locator('#count', { hasText: 'Showing 1 to 1 of 1 candidates.' }).waitFor();
    await checkAccessibility(manager, 'council page filtered to void results');
    const [download] = await Promise.all([manager.waitForEvent('download'),
      manager.getByRole('link', { name: `Download the results of ${window} (CSV)` }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, new RegExp(`${others['c-void'].sitting},c-void,Vera Void,northmere,1,,,void_after_review,${VOID_REASON},`));
    assert.match(csv, new RegExp(`,withheld_identity,${ID_REASON},`));
    assert.ok(!csv.includes(NOTE));

    // Each candidate's result page, on a client of their own: released, void, withheld, under review.
    await candidate.reload();
    await candidate.locator('#result-status', { hasText: 'Your result, as released.' }).waitFor();
    assert.match(await candidate.locator('#result-list').innerText(), /Outcome: (Met|Not met)/);
    await checkAccessibility(candidate, 'result page, released');
    const pages = {};
    for (const [id, expected] of [['c-void', `Void following a review: ${VOID_REASON}`],
      ['c-ident', `Withheld: identity not confirmed: ${ID_REASON}`], ['c-review', 'Withheld: under review']]) {
      const theirs = await (await sitting.clientFor(id)).start();
      const p = await browser.newPage();
      await p.goto(theirs.url);
      await p.goto(new URL('/result.html', theirs.url).href);
      await p.locator('#result-status', { hasText: 'No result has been released to you yet.' }).waitFor();
      const shown = await p.locator('#result-list').innerText();
      assert.ok(shown.includes(expected), `${id}'s page shows "${expected}":\n${shown}`);
      assert.ok(!shown.includes(NOTE) && !(await p.content()).includes(NOTE), `${id}'s page shows no proctor note`);
      assert.doesNotMatch(shown, /Outcome:/, `${id}'s page shows no scores`);
      await checkAccessibility(p, `result page, ${id}`);
      pages[id] = { page: p, shown };
    }

    // The server goes away: each page shows what was kept, and says so.
    await sitting.server.stop('SIGTERM');
    for (const [id, { page: p, shown }] of Object.entries(pages)) {
      await p.reload();
      await p.locator('#result-status', { hasText: 'cannot be reached' }).waitFor();
      assert.equal(await p.locator('#result-list').innerText(), shown);
      await checkAccessibility(p, `result page, ${id}, offline`);
    }
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
