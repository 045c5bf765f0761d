// Journey of proctors: a device syncs a session with flags and sealed evidence; the admin assigns
// it to two proctors; proctor A opens it from the queue with the keyboard, views the evidence
// (decrypted on the server for this view), decides each flag and proposes a breach; proctor A
// cannot confirm it; proctor B confirms; the admin sees every view and decision in the audit log
// and exports it. axe-core on every page.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser } = require('./lib/harness');
const { accounts, admin, startServer, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');

test('a proctor reviews a flagged session and a second proctor confirms the decision', async () => {
  const s = await startServer();
  const browser = await launchBrowser();
  try {
    await admin(s.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    await admin(s.home, ['create-user', '--email', 'a@proctors.example.org', '--name', 'Alex Proctor', '--role', 'proctor']);
    await admin(s.home, ['create-user', '--email', 'b@proctors.example.org', '--name', 'Bo Proctor', '--role', 'proctor']);
    const added = await admin(s.home, ['add-candidate', '--council', 'north', '--candidate', 'cand-1', '--name', 'Amara Okafor']);
    const code = added.match(/enrolment code: (\S+)/)[1];
    // A small real picture as the evidence snapshot (a 2x2 PNG; the device seals whatever bytes it is given).
    const evidence = path.join(s.dir, 'snapshot.png');
    fs.writeFileSync(evidence, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64'));
    const device = await runDevice(s.dir, s.trust, code, 'sitting-1', 2, evidence);

    // The admin assigns the session to both proctors.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, s.url, 'admin@programme.example.org');
    await adminPage.getByRole('heading', { name: 'Administration' }).waitFor();
    await adminPage.locator('#users tbody tr').nth(2).waitFor();
    await checkAccessibility(adminPage, 'administration page');
    await adminPage.getByRole('link', { name: 'Review queue' }).click();
    const row = adminPage.locator('#queue tbody tr', { hasText: 'sitting-1' });
    await row.waitFor();
    await checkAccessibility(adminPage, 'review queue (admin)');
    for (const name of ['Alex Proctor', 'Bo Proctor']) {
      await row.getByLabel('Proctor for session sitting-1').selectOption({ label: name });
      await row.getByRole('button', { name: 'Assign session sitting-1' }).click();
      await adminPage.getByText(`Session sitting-1 assigned to ${name}.`).waitFor();
    }

    // Proctor A: queue, keyboard to the session, evidence, flag decisions, a proposed breach.
    const a = await newStaffPage(browser);
    await signIn(a, s.url, 'a@proctors.example.org');
    await a.locator('#queue tbody tr', { hasText: 'sitting-1' }).waitFor();
    await checkAccessibility(a, 'review queue (proctor)');
    await a.keyboard.press('j');
    await a.keyboard.press('Enter');
    await a.waitForURL(/session\.html/);
    await a.getByRole('heading', { name: 'Review session sitting-1' }).waitFor();
    await checkAccessibility(a, 'session page');
    await a.keyboard.press('j');
    await a.keyboard.press('e');   // evidence of the focused flag
    const img = a.locator('#flags article').first().locator('img');
    await img.waitFor();
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the decrypted evidence is a picture');
    await checkAccessibility(a, 'session page with evidence');
    const flags = a.locator('#flags article');
    assert.equal(await flags.count(), 2);
    await flags.nth(0).getByRole('radio', { name: 'Record a concern' }).check();
    await flags.nth(0).getByRole('textbox', { name: /^Note/ }).fill('A second person is visible at the desk.');
    await flags.nth(0).getByRole('button', { name: /Save decision/ }).click();
    await flags.nth(0).getByText('Saved: Concern.').waitFor();
    await flags.nth(1).getByRole('radio', { name: 'Dismiss' }).check();
    await flags.nth(1).getByRole('button', { name: /Save decision/ }).click();
    await flags.nth(1).getByText('Saved: Dismissed.').waitFor();
    await a.getByRole('radio', { name: 'Breach of the rules' }).check();
    await a.getByLabel(/^Reasons/).fill('Another person helped during the knowledge section.');
    // An adverse decision needs a public reason (issue 16 part 3): refused without one.
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.locator('#decide-msg.error', { hasText: 'public reason' }).waitFor();
    await a.getByLabel(/^Start the public reason/).selectOption({ label: 'Another person was present and helped during the assessment.' });
    assert.equal(await a.getByLabel(/^Public reason/).inputValue(), 'Another person was present and helped during the assessment.');
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.getByText('Recorded. A second proctor must agree before it takes effect.').waitFor();
    // Proctor A cannot confirm their own proposal.
    await a.getByRole('radio', { name: 'Breach of the rules' }).check();
    await a.getByLabel(/^Reasons/).fill('Confirming my own');
    await a.getByRole('button', { name: 'Record decision' }).click();
    await a.getByText(/a second, different proctor must confirm it/).waitFor();
    await checkAccessibility(a, 'session page awaiting a second proctor');

    // Proctor B confirms.
    const b = await newStaffPage(browser);
    await signIn(b, s.url, 'b@proctors.example.org');
    await b.getByRole('link', { name: 'sitting-1' }).click();
    await b.getByText(/You are the second proctor/).waitFor();
    // The second proctor sees the proposed public reason, offered to keep or reword.
    await b.locator('#proposed-public-reason', { hasText: 'Another person was present and helped during the assessment.' }).waitFor();
    assert.equal(await b.getByLabel(/^Public reason/).inputValue(), 'Another person was present and helped during the assessment.');
    await b.getByRole('radio', { name: 'Breach of the rules' }).check();
    await b.getByLabel(/^Reasons/).fill('I agree: a second person is visible.');
    await b.getByRole('button', { name: 'Record decision' }).click();
    await b.getByText('Decided: Breach of the rules.').first().waitFor();
    await checkAccessibility(b, 'session page, decided');

    // Audit: the evidence view and both decisions, readable and exportable by the admin.
    await adminPage.goto(s.url + '/staff/admin.html');
    for (const action of ['evidence.view', 'session.decide', 'flag.decide', 'review.assign']) {
      await adminPage.locator('#audit tbody td', { hasText: action }).first().waitFor();
    }
    const [download] = await Promise.all([adminPage.waitForEvent('download'),
      adminPage.getByRole('link', { name: 'Download the audit log (CSV)' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, /"evidence\.view","session\/[0-9a-f]+\/sitting-1"/);
    assert.equal((csv.match(/"session\.decide"/g) || []).length, 2);
    assert.ok(device.device_id);

    // A forgotten password: the admin resets Bo's from the Admin page with a one-time password.
    // Bo must replace it at the next sign-in, and the authenticator is still asked for, so the
    // admin who knows the one-time password cannot act as Bo.
    const oneTime = 'one-time reset phrase for Bo 7';
    adminPage.once('dialog', (d) => d.accept(oneTime));
    await adminPage.getByRole('button', { name: 'Reset password of Bo Proctor' }).click();
    await adminPage.getByText('Bo Proctor: password reset').waitFor();
    await adminPage.locator('#audit tbody td', { hasText: 'user.password_reset' }).first().waitFor();
    await checkAccessibility(adminPage, 'administration page after a reset');
    const bo = accounts.get(s.url + '|b@proctors.example.org');
    bo.password = oneTime;
    const b2 = await newStaffPage(browser);
    await signIn(b2, s.url, 'b@proctors.example.org');   // code step, then a new password of Bo's own
    assert.notEqual(bo.password, oneTime, 'the one-time password had to be replaced');
  } finally {
    await browser.close();
    await s.server.stop();
  }
});
