// Journey of a council manager: sign in, upload a CSV with mistakes (every problem listed,
// nothing imported), upload it corrected, search the status list, issue enrolment codes, see a
// candidate's device move them to "Received", set the headcount, and export the list with formula
// cells neutralised. axe-core on every page state. Then issue 16's "a council cannot see a
// candidate who sat": a candidate added on the command line, who sits and submits, is on their
// council's one roster (status list and take-up), and the admin's audit log names who acted.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser } = require('./lib/harness');
const { admin, startServer, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');

test('a council manager uploads candidates, sees their status and exports it', async () => {
  const s = await startServer();
  const browser = await launchBrowser();
  try {
    await admin(s.home, ['add-council', '--council', 'north', '--name', 'Northshire Council']);
    await admin(s.home, ['add-council', '--council', 'south', '--name', 'Southshire Council']);
    await admin(s.home, ['create-user', '--email', 'manager@north.example.org', '--name', 'Nadia Manager', '--role', 'council_manager', '--council', 'north']);
    const page = await newStaffPage(browser);

    await page.goto(s.url + '/staff/');
    await checkAccessibility(page, 'sign-in page');
    // A wrong password: a plain message, focus back on the form.
    await page.getByLabel('Email address').fill('manager@north.example.org');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/email or password is not right/).waitFor();
    await checkAccessibility(page, 'sign-in page with an error');

    // Sign in before the page has heard whether a session exists (a slow server, a password
    // manager that submits at once): the page's own handler takes it, and the password never
    // goes into an address. Holding back /staff/api/me performs the race every time.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/staff/api/me', async (route) => { await held; await route.continue(); });
    const addresses = [];
    page.on('request', (r) => addresses.push(r.url()));
    await page.goto(s.url + '/staff/');
    await page.getByLabel('Email address').fill('manager@north.example.org');
    await page.getByLabel('Password').fill('not the password either');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/email or password is not right/).waitFor();
    const answered = page.waitForResponse('**/staff/api/me');
    release();
    await answered;
    await page.unroute('**/staff/api/me');
    assert.equal(new URL(page.url()).search, '');
    assert.ok(!addresses.some((a) => a.includes('either')), `a password in an address: ${addresses.join(' ')}`);

    await signIn(page, s.url, 'manager@north.example.org');
    await page.getByRole('heading', { name: 'Your candidates' }).waitFor();
    await page.getByText('No candidates match.').waitFor();
    await checkAccessibility(page, 'council page, empty');

    // A file with mistakes: every problem listed, nothing imported.
    const bad = path.join(s.dir, 'bad.csv');
    fs.writeFileSync(bad, 'name,work_email,employee_ref,level,extra_time_percent\n' +
      'Amara Okafor,amara@north.example.org,N001,practitioner,25\n' +
      'Ben Duplicate,ben@north.example.org,N001,practitioner,0\n' +
      'Cara Level,cara@north.example.org,N003,manager,0\n' +
      'Dev Email,not-an-email,N004,practitioner,0\n');
    await page.getByLabel('CSV file (up to 2 MB)').setInputFiles(bad);
    await page.getByRole('button', { name: 'Upload and check' }).click();
    const problems = page.locator('#problems tbody tr');
    await problems.first().waitFor();
    assert.equal(await problems.count(), 3);
    await page.getByText(/nothing was imported/).first().waitFor();
    await checkAccessibility(page, 'council page with a validation report');
    assert.equal(await page.locator('#status tbody tr').count(), 0);

    // A 50 MB file: refused by size, by the page before sending and by the server if sent anyway.
    const huge = path.join(s.dir, 'huge.csv');
    fs.writeFileSync(huge, Buffer.alloc(50 * 1024 * 1024, 'a'));
    await page.getByLabel('CSV file (up to 2 MB)').setInputFiles(huge);
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.getByText(/larger than 2 MB/).waitFor();
    const sent = await page.evaluate(async () => {
      const me = await (await fetch('/staff/api/me')).json();
      const res = await fetch('/staff/api/councils/north/import', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'text/csv' },
        body: new Uint8Array(50 * 1024 * 1024) });
      return res.status;
    });
    assert.equal(sent, 413);

    // Not UTF-8: a clear report.
    const latin1 = path.join(s.dir, 'latin1.csv');
    fs.writeFileSync(latin1, Buffer.concat([Buffer.from('name,work_email,employee_ref,level\nJos'), Buffer.from([0xe9]),
      Buffer.from(' Silva,jose@north.example.org,N009,practitioner\n')]));
    await page.getByLabel('CSV file (up to 2 MB)').setInputFiles(latin1);
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.getByText(/not UTF-8 text/).waitFor();

    const good = path.join(s.dir, 'good.csv');
    fs.writeFileSync(good, 'name,work_email,employee_ref,level,exemptions,extra_time_percent,extra_break_minutes\n' +
      'Amara Okafor,amara@north.example.org,N001,practitioner,,25,10\n' +
      'Ben Adeyemi,ben@north.example.org,N002,practice_supervisor,,0,0\n' +
      '"=HYPERLINK(""http://evil.example"")",cell@north.example.org,N003,practitioner,,,\n');
    await page.getByLabel('CSV file (up to 2 MB)').setInputFiles(good);
    await page.getByRole('button', { name: 'Upload and check' }).click();
    await page.getByText('3 candidate(s) endorsed.').waitFor();
    await page.getByText('Showing 1 to 3 of 3 candidates.').waitFor();

    // One more by hand.
    await page.getByLabel('Full name', { exact: true }).fill('Dana Hand');
    await page.getByLabel('Work email', { exact: true }).fill('dana@north.example.org');
    await page.getByLabel('Employee reference', { exact: true }).fill('N010');
    await page.getByRole('button', { name: 'Endorse', exact: true }).click();
    await page.getByText('Dana Hand endorsed.').waitFor();
    await page.getByText('Showing 1 to 4 of 4 candidates.').waitFor();

    // Codes, then one candidate's device enrols, sits and submits.
    await page.getByRole('button', { name: 'Issue codes for candidates who need one' }).click();
    await page.getByText('4 code(s) issued.').waitFor();
    await checkAccessibility(page, 'council page with codes');
    const amaraRow = page.locator('#codes tr', { hasText: 'Amara Okafor' });
    const code = (await amaraRow.locator('code').textContent()).trim();
    await runDevice(s.dir, s.trust, code, 'north-amara-1', 0);

    // Search and filter by status.
    await page.reload();
    await page.getByLabel('Search name, email or employee reference').fill('Amara');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByText('Showing 1 to 1 of 1 candidates.').waitFor();
    await page.locator('#status tbody tr', { hasText: 'Received' }).waitFor();
    await page.getByLabel('Search name, email or employee reference').fill('');
    await page.getByLabel('Status', { exact: true }).selectOption('endorsed');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByText('Showing 1 to 3 of 3 candidates.').waitFor();

    // Headcount and the take-up chart's text equivalent.
    await page.getByLabel('Social workers eligible for the assessment in your council').fill('20');
    await page.getByRole('button', { name: 'Save headcount' }).click();
    await page.getByText('Headcount saved.').waitFor();
    await page.locator('#summary td', { hasText: '1 (5% of eligible)' }).first().waitFor();
    await checkAccessibility(page, 'council page with filters and the take-up chart');

    // Export: the formula cell is neutralised.
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.getByText('Showing 1 to 4 of 4 candidates.').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download this list (CSV)' }).click()]);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, /"'=HYPERLINK\(""http:\/\/evil\.example""\)"/);
    assert.doesNotMatch(csv, /(^|,)"?=HYPERLINK/m);
    assert.equal(csv.trim().split('\n').length, 5);

    // Withdraw one, with the dialog, by keyboard.
    await page.getByRole('button', { name: 'Withdraw Dana Hand' }).click();
    await page.getByLabel('Reason').fill('Moved to another council');
    await page.keyboard.press('Enter');
    await page.getByText('Dana Hand withdrawn.').waitFor();

    // 200% zoom (a 1280-pixel window is 640 CSS pixels wide): nothing needs sideways scrolling
    // except inside the wide tables' own scroll boxes; and forced (high-contrast) colours.
    await page.setViewportSize({ width: 640, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => !e.closest('.table-wrap') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)));
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 200% zoom: ${wide.join(', ')}`);
    await page.emulateMedia({ forcedColors: 'active' });
    await checkAccessibility(page, 'council page at 200% zoom in forced colours');

    // Another council's data is out of reach for this manager.
    const other = await page.evaluate(async () => (await fetch('/staff/api/councils/south/candidates')).status);
    assert.equal(other, 403);

    // Issue 16: the programme adds a candidate to Southshire on the command line (no
    // --council-name: the council keeps its name), and they enrol, sit and submit. Southshire's
    // manager, signing in afterwards, sees them on the roster and in the take-up.
    const added = await admin(s.home, ['add-candidate', '--council', 'south', '--candidate', 'south-sol',
      '--name', 'Sol Commandline', '--email', 'sol@south.example.org']);
    const solCode = added.match(/enrolment code: (\S+)/)[1];
    await runDevice(s.dir, s.trust, solCode, 'south-sol-1', 0);
    await admin(s.home, ['create-user', '--email', 'manager@south.example.org', '--name', 'Sami Southern', '--role', 'council_manager', '--council', 'south']);
    const south = await newStaffPage(browser);
    await signIn(south, s.url, 'manager@south.example.org');
    await south.getByText('Showing 1 to 1 of 1 candidates.').waitFor();
    await south.locator('#status tbody tr', { hasText: 'Sol Commandline' }).getByText('Received', { exact: true }).waitFor();
    const takeUp = await south.evaluate(() => Object.fromEntries([...document.querySelectorAll('#summary tbody tr')]
      .map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent])));
    assert.equal(takeUp['Endorsed'], '1', JSON.stringify(takeUp));
    assert.equal(takeUp['Enrolled or further'], '1', JSON.stringify(takeUp));
    assert.equal(takeUp['Now: Received'], '1', JSON.stringify(takeUp));
    await checkAccessibility(south, 'council page with a candidate added on the command line');
    // Their manager can act on them like any of theirs; the dialog shows no empty reference.
    await south.getByRole('button', { name: 'Withdraw Sol Commandline' }).click();
    assert.equal(await south.locator('#wd-who').textContent(),
      'Sol Commandline will no longer be endorsed; unused enrolment codes stop working.');
    await south.getByLabel('Reason').fill('Left the council');
    await south.keyboard.press('Enter');
    await south.getByText('Sol Commandline withdrawn.').waitFor();

    // The audit log says who: people by name and email, "command line" for what the command line
    // did (accounts, councils, the candidate), never "user 1" or "not signed in".
    await admin(s.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, s.url, 'admin@programme.example.org');
    await adminPage.getByRole('link', { name: 'Southshire Council' }).waitFor();
    await adminPage.locator('#audit tbody tr').first().waitFor();
    const audit = await adminPage.evaluate(() => [...document.querySelectorAll('#audit tbody tr')]
      .map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    const who = (action, target) => audit.filter((r) => r[2] === action && r[3] === target).map((r) => r[1]);
    const shown = JSON.stringify(audit);
    assert.deepEqual(who('candidates.add', 'council/south'), ['command line'], shown);
    assert.deepEqual(who('council.save', 'council/south'), ['command line'], shown);
    assert.deepEqual(who('user.create', 'user/1'), ['command line'], shown);
    assert.deepEqual(who('candidate.withdraw', 'candidate/south-sol'), ['Sami Southern (manager@south.example.org)'], shown);
    assert.ok(audit.some((r) => r[1] === 'Nadia Manager (manager@north.example.org)' && r[2] === 'candidates.add'), shown);
    assert.ok(!audit.some((r) => /^user \d+$/.test(r[1]) || r[1] === 'not signed in'), shown);
    await checkAccessibility(adminPage, 'admin page with the audit log');
  } finally {
    await browser.close();
    await s.server.stop();
  }
});
