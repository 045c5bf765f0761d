// Issue 16 part 5, "proctor workload", against the real server over TLS: the proctors' "My work"
// and the admin's "Workload" pages, empty; two candidates sit on scripted devices (one flagged
// by a device that synced 50 hours after its flag, so its review is overdue); each review and
// identity check goes to the least-loaded proctor on arrival; the proctor sees what is theirs,
// with age, due time and "Overdue" in words, and opens it from the page; the admin sees every
// proctor's load and every open item, is refused a reassignment without a reason, and reassigns
// the overdue review with one; the pages and the audit log follow. axe-core on every state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser } = require('./lib/harness');
const { PNG_2X2, adminAndTwoProctors, admin, startServer, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');


test('each review and identity check goes to the least-loaded proctor; a proctor sees their work, an admin reassigns it with a reason', async () => {
  const s = await startServer();
  const browser = await launchBrowser();
  try {
    const assessment = await adminAndTwoProctors(s);
    const photo = path.join(s.dir, 'photo.png');
    fs.writeFileSync(photo, Buffer.from(PNG_2X2, 'base64'));

    // Empty: nothing waits on Alex; the admin sees both proctors with nothing, and no open work.
    const a = await newStaffPage(browser);
    await signIn(a, s.url, 'a@proctors.example.org');
    await a.getByRole('link', { name: 'My work' }).click();
    await a.getByRole('heading', { name: 'My work', level: 1 }).waitFor();
    await a.getByText('Nothing is waiting on you.').waitFor();
    assert.equal(await a.locator('#work').isHidden(), true);
    assert.match(await a.locator('#targets').innerText(), /identity check within 24 hours .* review within 48 hours/);
    await checkAccessibility(a, 'my work, empty');
    // The admins' page is not a proctor's.
    await a.goto(s.url + '/staff/workload.html');
    await a.waitForURL(/\/staff\/review\.html/);

    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, s.url, 'admin@programme.example.org');
    await adminPage.getByRole('link', { name: 'Workload' }).click();
    await adminPage.getByRole('heading', { name: 'Workload', level: 1 }).waitFor();
    await adminPage.getByText('No reviews or identity checks are waiting.').waitFor();
    const proctorRow = (name) => adminPage.locator('#proctors tbody tr', { hasText: name });
    assert.match(await proctorRow('Alex Proctor').innerText(), /0\s+0\s+0\s+Nothing waiting/);
    await checkAccessibility(adminPage, 'workload, empty');

    // Two candidates sit. Amara's device raised a flag 50 hours before it synced (it sat offline):
    // her review is overdue on arrival. Each item goes to the least-loaded proctor, the older
    // account first on a tie: Amara's review to Alex, her identity check to Bo, Ben's check to Alex.
    const sittings = {};
    for (const [id, name, flags] of [['cand-amara', 'Amara Okafor', 1], ['cand-ben', 'Ben Hale', 0]]) {
      const added = await admin(s.home, ['add-candidate', '--council', 'north', '--candidate', id, '--name', name]);
      await admin(s.home, ['set-accommodations', '--candidate', id, '--knowledge-only']);
      const scheduled = await admin(s.home, ['schedule', '--candidate', id, '--assessment', assessment, '--start',
        new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')]);
      const sitting = scheduled.match(/sitting (\S+):/)[1];
      await runDevice(s.dir, s.trust, added.match(/enrolment code: (\S+)/)[1], sitting, flags, photo,
        ['--face-photo', photo, '--id-photo', photo, ...(flags ? ['--flags-hours-ago', '50'] : [])]);
      sittings[id] = { sitting, name };
    }
    const amara = sittings['cand-amara'].sitting;
    const reviewTitle = 'Review of session ' + amara;

    // Alex's work: the overdue review first (oldest), then Ben's identity check; overdue in words.
    await a.goto(s.url + '/staff/my_work.html');
    const mine = a.locator('#work tbody tr');
    await mine.nth(1).waitFor();
    assert.equal(await mine.count(), 2);
    assert.match(await mine.nth(0).innerText(), new RegExp(`${reviewTitle}[\\s\\S]*Decide the session[\\s\\S]*2 d 2 h[\\s\\S]*Overdue by 2 h`));
    assert.match(await mine.nth(1).innerText(), /Identity check: Ben Hale[\s\S]*First decision[\s\S]*Due in 23 h/);
    await a.getByText('2 item(s) waiting on you, 1 overdue.').waitFor();
    await checkAccessibility(a, 'my work, with an overdue item');
    // Each item opens its page.
    await a.getByRole('link', { name: 'Identity check: Ben Hale' }).click();
    await a.getByRole('heading', { name: 'Identity check: Ben Hale' }).waitFor();
    await a.goto(s.url + '/staff/my_work.html');
    await mine.nth(1).waitFor();  // the keys work once the list has loaded
    await a.keyboard.press('j');
    await a.keyboard.press('Enter');
    await a.waitForURL(/session\.html/);
    await a.getByRole('heading', { name: 'Review session ' + amara }).waitFor();

    // The admin: each proctor's load and every open item, with whom it waits on.
    await adminPage.reload();
    await adminPage.locator('#items tbody tr').nth(2).waitFor();
    assert.match(await proctorRow('Alex Proctor').innerText(), /1\s+1\s+2\s+2 d 2 h/);
    assert.match(await proctorRow('Bo Proctor').innerText(), /0\s+1\s+1/);
    await adminPage.getByText('3 open item(s), 1 overdue.').waitFor();
    const reviewRow = adminPage.locator('#items tbody tr', { hasText: reviewTitle });
    assert.match(await reviewRow.innerText(), /Alex Proctor[\s\S]*48 hours[\s\S]*Overdue by 2 h/);
    assert.match(await adminPage.locator('#items tbody tr', { hasText: 'Identity check: Amara Okafor' }).innerText(),
      /Bo Proctor[\s\S]*24 hours[\s\S]*Due in 23 h/);
    await checkAccessibility(adminPage, 'workload, with items');

    // Reassigning needs a reason: refused without one, said beside the field.
    await reviewRow.getByRole('button', { name: 'Reassign ' + reviewTitle }).click();
    await adminPage.getByRole('heading', { name: 'Reassign: ' + reviewTitle }).waitFor();
    assert.equal(await adminPage.evaluate(() => document.activeElement.id), 'h-reassign');
    const picker = adminPage.getByLabel('New proctor');
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['Bo Proctor (1 waiting)']);
    await adminPage.getByRole('button', { name: 'Reassign', exact: true }).click();
    await adminPage.locator('#reassign-reason-error', { hasText: 'say why you reassign it' }).waitFor();
    assert.equal(await adminPage.getByLabel(/^Reason/).getAttribute('aria-invalid'), 'true');
    assert.equal(await adminPage.evaluate(() => document.activeElement.id), 'reassign-reason');
    await checkAccessibility(adminPage, 'workload, reassign refused without a reason');

    await adminPage.getByLabel(/^Reason/).fill('Alex is on leave until Monday; the review is overdue.');
    await picker.selectOption({ label: 'Bo Proctor (1 waiting)' });
    await adminPage.getByRole('button', { name: 'Reassign', exact: true }).click();
    await adminPage.getByText(`${reviewTitle} is now waiting on Bo Proctor.`).waitFor();
    assert.equal(await adminPage.locator('#reassign-section').isHidden(), true);
    assert.match(await adminPage.locator('#items tbody tr', { hasText: reviewTitle }).innerText(), /Bo Proctor/);
    assert.match(await proctorRow('Alex Proctor').innerText(), /0\s+1\s+1/);
    assert.match(await proctorRow('Bo Proctor').innerText(), /1\s+1\s+2/);
    await checkAccessibility(adminPage, 'workload, after a reassignment');

    // Alex no longer has the review, nor its page; Bo has it, overdue.
    await a.goto(s.url + '/staff/my_work.html');
    await a.getByText('1 item(s) waiting on you, none overdue.').waitFor();
    assert.equal(await a.getByRole('link', { name: reviewTitle }).count(), 0);
    const b = await newStaffPage(browser);
    await signIn(b, s.url, 'b@proctors.example.org');
    await b.getByRole('link', { name: 'My work' }).click();
    await b.getByText('2 item(s) waiting on you, 1 overdue.').waitFor();
    assert.match(await b.locator('#work tbody tr', { hasText: reviewTitle }).innerText(), /Overdue/);
    await checkAccessibility(b, 'my work, after a reassignment to this proctor');

    // The audit log keeps who moved it, from whom, to whom and why.
    const audit = await adminPage.evaluate(async () => (await (await fetch('/staff/api/audit?limit=200')).json()).entries);
    const moved = audit.filter((e) => e.action === 'review.reassign');
    assert.equal(moved.length, 1);
    assert.match(moved[0].detail, /^from proctor \d+ to proctor \d+ \(Bo Proctor\): Alex is on leave until Monday; the review is overdue\.$/);
    assert.match(moved[0].who, /Priya Admin/);
  } finally {
    await browser.close();
    await s.server.stop('SIGTERM');
  }
});
