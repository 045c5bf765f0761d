// Issue 16 part 2, "an identity check by a person, for every sitting", against the real server over
// TLS: two candidates sit on scripted devices that take the identity photos (sealed as the client
// seals them) and submit; an early release releases nothing; the admin gives both checks to proctor
// A; A opens one, sees the face photo, the ID photo and the roster name, and decides "does not
// match"; it goes to proctor B, who confirms; A finds the other one matches; release then releases
// the sitting that matched and withholds the other. axe-core on every page state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { env, launchBrowser } = require('./lib/harness');
const { must } = require('./lib/sitting');
const { PNG_2X2, adminAndTwoProctors, admin, startServer, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');


test('a proctor finds an identity mismatch, a second proctor confirms it, and release withholds that result only', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const s = await startServer();
  const browser = await launchBrowser();
  try {
    const assessment = await adminAndTwoProctors(s);
    const photos = [];
    for (const name of ['face.png', 'id.png']) {
      photos.push(path.join(s.dir, name));
      fs.writeFileSync(photos[photos.length - 1], Buffer.from(PNG_2X2, 'base64'));
    }
    // Two knowledge-only candidates (their result is decided at scoring), each on their own device.
    const sittings = {};
    for (const [id, name] of [['cand-match', 'Amara Okafor'], ['cand-other', 'Ben Hale']]) {
      const added = await admin(s.home, ['add-candidate', '--council', 'north', '--candidate', id, '--name', name]);
      await admin(s.home, ['set-accommodations', '--candidate', id, '--knowledge-only']);
      const scheduled = await admin(s.home, ['schedule', '--candidate', id, '--assessment', assessment, '--start',
        new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')]);
      const sitting = scheduled.match(/sitting (\S+):/)[1];
      await runDevice(s.dir, s.trust, added.match(/enrolment code: (\S+)/)[1], sitting, 0, photos[0],
        ['--face-photo', photos[0], '--id-photo', photos[1]]);
      await must(SERVER, ['results', 'score', s.home, '--sitting', sitting]);
      sittings[id] = { sitting, name };
    }

    // The early release: no identity check is decided, so nothing is released.
    const early = await must(SERVER, ['admin', 'release', s.home, '--assessment', assessment]);
    assert.match(early, /released 0 result\(s\)/);
    assert.match(early, /withheld by the identity check: 2 not decided yet/);

    // The admin gives both checks to Alex on the Identity checks page.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, s.url, 'admin@programme.example.org');
    await adminPage.getByRole('link', { name: 'Identity checks' }).click();
    await adminPage.getByRole('heading', { name: 'Identity checks', level: 1 }).waitFor();
    for (const { name } of Object.values(sittings)) {
      const row = adminPage.locator('#queue tbody tr', { hasText: name });
      await row.getByLabel('First proctor for ' + name).selectOption({ label: 'Alex Proctor' });
      await row.getByRole('button', { name: 'Assign for ' + name }).click();
      await adminPage.getByText(`${name}: first proctor is now Alex Proctor.`).waitFor();
    }
    await checkAccessibility(adminPage, 'identity checks (admin)');

    // Alex: the queue, with the keyboard to the first check.
    const a = await newStaffPage(browser);
    await signIn(a, s.url, 'a@proctors.example.org');
    await a.getByRole('link', { name: 'Identity checks' }).click();
    await a.locator('#queue tbody tr', { hasText: 'Ben Hale' }).waitFor();
    assert.match(await a.locator('#queue tbody tr', { hasText: 'Ben Hale' }).innerText(), /under a minute|min/);
    await checkAccessibility(a, 'identity checks (proctor)');
    await a.getByRole('link', { name: 'Ben Hale' }).click();
    await a.getByRole('heading', { name: 'Identity check: Ben Hale' }).waitFor();
    assert.equal(await a.locator('#roster-name').innerText(), 'Ben Hale');
    for (const alt of ['Face photo of the candidate sitting as Ben Hale', 'Photo of the ID document shown by the candidate sitting as Ben Hale']) {
      const img = a.getByRole('img', { name: alt });
      await img.waitFor();
      assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth === 2), `${alt} is shown`);
    }
    await a.getByRole('img', { name: 'Camera thumbnail 1 from the sitting' }).waitFor();
    await checkAccessibility(a, 'identity check, before the decision');
    // A mismatch needs a note.
    await a.getByRole('radio', { name: 'Does not match' }).check();
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.locator('#decide-msg.error').waitFor();
    await a.getByLabel(/^Note/).fill('The face photo and the ID photo show two different people.');
    // ... and a public reason, which the candidate and their council will see (issue 16 part 3).
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.locator('#decide-msg.error', { hasText: 'public reason' }).waitFor();
    await a.getByLabel(/^Public reason/).fill('The face photo and the ID document show different people.');
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.locator('#decide-msg', { hasText: 'A second proctor will now decide this check.' }).waitFor();
    assert.equal(await a.locator('#decide').isHidden(), true, 'the first proctor cannot decide it again');
    await checkAccessibility(a, 'identity check, awaiting a second proctor');
    // The other candidate's photos match.
    await a.goto(s.url + '/staff/identity.html');
    await a.getByRole('link', { name: 'Amara Okafor' }).click();
    await a.getByRole('radio', { name: 'Matches' }).check();
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.locator('#decide-msg', { hasText: 'Decided: the photos match.' }).waitFor();

    // Bo, the least-loaded other proctor, is the second: he confirms the mismatch.
    const b = await newStaffPage(browser);
    await signIn(b, s.url, 'b@proctors.example.org');
    await b.goto(s.url + '/staff/identity.html');
    const row = b.locator('#queue tbody tr', { hasText: 'Ben Hale' });
    await row.waitFor();
    assert.match(await row.innerText(), /you are the second proctor/);
    await row.getByRole('link', { name: 'Ben Hale' }).click();
    await b.getByText('The first proctor answered "Does not match".', { exact: false }).waitFor();
    assert.equal(await b.getByRole('radio', { name: 'Cannot tell' }).isVisible(), false, 'the second proctor decides');
    await checkAccessibility(b, 'identity check, second proctor');
    await b.locator('#proposed-public-reason', { hasText: 'The face photo and the ID document show different people.' }).waitFor();
    assert.equal(await b.getByLabel(/^Public reason/).inputValue(), 'The face photo and the ID document show different people.');
    await b.getByRole('radio', { name: 'Does not match' }).check();
    await b.getByLabel(/^Note/).fill('Agreed: the ID belongs to someone else.');
    await b.getByRole('button', { name: 'Record decision' }).click();
    await b.locator('#decide-msg', { hasText: 'The result of this sitting is withheld.' }).waitFor();
    assert.match(await b.locator('#check-state').innerText(), /Decided: Does not match/);
    await checkAccessibility(b, 'identity check, decided');

    // Release from the Results page: the sitting that matched goes, the mismatch is withheld.
    await adminPage.getByRole('link', { name: 'Results' }).click();
    await adminPage.locator('#windows tbody tr', { hasText: assessment }).waitFor();
    await adminPage.getByRole('button', { name: 'Release results for this window' }).click();
    await adminPage.getByRole('button', { name: 'Release now' }).click();
    const msg = adminPage.locator('#window-msg', { hasText: 'Released 1 result(s) now' });
    await msg.waitFor();
    assert.match(await msg.innerText(), /1 withheld because the identity photos did not match/);
    await checkAccessibility(adminPage, 'results page, released with one withheld');
    const again = await must(SERVER, ['admin', 'release', s.home, '--assessment', assessment]);
    assert.match(again, /released 0 result\(s\)/);
    assert.match(again, /0 not decided yet, 1 found not to match/);

    // Every view and decision is in the audit log, with who did it.
    const audit = await adminPage.evaluate(async () => (await (await fetch('/staff/api/audit?limit=200')).json()).entries);
    const of = (action) => audit.filter((e) => e.action === action);
    assert.ok(of('identity.photo').length >= 5, 'every photo view is audited');
    assert.equal(of('identity.decide').length, 3);
    assert.ok(of('identity.photo').every((e) => e.who.includes('Proctor')), 'only proctors opened photos');
  } finally {
    await browser.close();
    await s.server.stop('SIGTERM');
  }
});
