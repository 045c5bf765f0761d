// Issue 16's "Must show", end to end against the real server over TLS and the real clients, with
// axe on every page state: two candidates sit (Test Candidate on the real client, Fiona Flagged on
// a scripted device, both answering every knowledge item as keyed); Fiona is flagged, and two
// proctors propose and confirm a breach; Test Candidate's identity check matches; release
// releases only Test Candidate's result. Fiona appeals from her result page (written while the
// server is down: "Appeal sent", then "Appeal received" once it is back); the admin can give the
// appeal only to proctors who took no part; Cara (a third person) overturns it and Dev (a fourth)
// confirms, and the result is released with a certificate that verifies offline. Two proctors
// find that Ivan Identity's photos do not match: his result is withheld. Ivan appeals; his two
// reviewers disagree, the admin gives it to two others, who uphold it. Each candidate's page and
// the council's status say the right thing.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareSitting, must, sitAndSubmit, keyedAnswers } = require('./lib/sitting');
const { env, launchBrowser, startProcess, run } = require('./lib/harness');
const { admin, newStaffPage, signIn, runDevice, checkAccessibility } = require('./lib/staff');

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const NOTE = 'PRIVATE NOTE for proctors';
const VOID_REASON = 'Another person was present and helped during the assessment.';
const ID_REASON = 'The ID document shows someone other than the endorsed candidate.';
const APPEAL = 'I was alone. The second face in the snapshot is a photograph on the wall behind me.';
const OVERTURN = 'The evidence does not show a breach of the rules: the decision is overturned and the result is released.';

// Every knowledge item answered as keyed (the candidates are exempt from the other stages).
function keyedKnowledge(contentDir) {
  const assessment = JSON.parse(fs.readFileSync(path.join(contentDir, 'assessment.json'), 'utf8'));
  const answer = keyedAnswers(contentDir, '');
  const out = {};
  for (const s of assessment.sections.filter((x) => x.kind === 'knowledge')) {
    for (const item of JSON.parse(fs.readFileSync(path.join(contentDir, s.file), 'utf8')).items) out[item.id] = answer(item);
  }
  return out;
}

test('consequences of a review: breach, appeal overturned by two others with a certificate, identity withheld, each page says so', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  let restarted = null;
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const home = sitting.home;
    const trust = path.join(home, 'published', 'client-trust.json');
    const window = sitting.assessmentId;

    // Two candidates sit: Test Candidate on the real client, Fiona on a scripted device (flagged).
    const candidate = await browser.newPage();
    const client = await sitting.startClient();
    await candidate.goto(client.url);
    const own = (await sitAndSubmit(candidate, sitting, keyedAnswers(sitting.contentDir, ''))).session_id;
    const photos = [];
    for (const name of ['face.png', 'id.png']) {
      photos.push(path.join(sitting.root, name));
      fs.writeFileSync(photos[photos.length - 1], Buffer.from(PNG, 'base64'));
    }
    const answers = path.join(sitting.root, 'answers.json');
    fs.writeFileSync(answers, JSON.stringify(keyedKnowledge(sitting.contentDir)));
    const others = {};
    for (const [id, name, flags] of [['c-flag', 'Fiona Flagged', 1], ['c-ident', 'Ivan Identity', 0]]) {
      const added = await admin(home, ['add-candidate', '--council', 'northmere', '--candidate', id, '--name', name]);
      await admin(home, ['set-accommodations', '--candidate', id, '--knowledge-only']);
      const scheduled = await admin(home, ['schedule', '--candidate', id, '--assessment', window, '--start',
        new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')]);
      const sit = scheduled.match(/sitting (\S+):/)[1];
      await runDevice(sitting.root, trust, added.match(/enrolment code: (\S+)/)[1], sit, flags, photos[0],
        ['--face-photo', photos[0], '--id-photo', photos[1], '--answers', answers]);
      others[id] = { name, sitting: sit };
    }

    await admin(home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    for (const [email, name] of [['a@proctors.example.org', 'Alex Proctor'], ['b@proctors.example.org', 'Bo Proctor'],
      ['c@proctors.example.org', 'Cara Proctor'], ['d@proctors.example.org', 'Dev Proctor'],
      ['e@proctors.example.org', 'Eve Proctor'], ['f@proctors.example.org', 'Finn Proctor']]) {
      await admin(home, ['create-user', '--email', email, '--name', name, '--role', 'proctor']);
    }
    await admin(home, ['create-user', '--email', 'manager@northmere.example.org', '--name', 'Nia Manager', '--role',
      'council_manager', '--council', 'northmere']);

    // The admin gives every identity check to Alex, and Fiona's flagged session to Alex and Bo.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, url, 'admin@programme.example.org');
    await adminPage.goto(url + '/staff/identity.html');
    for (const name of ['Test Candidate', 'Fiona Flagged', 'Ivan Identity']) {
      const row = adminPage.locator('#queue tbody tr', { hasText: name });
      await row.getByLabel('First proctor for ' + name).selectOption({ label: 'Alex Proctor' });
      await row.getByRole('button', { name: 'Assign for ' + name }).click();
      await adminPage.getByText(`${name}: first proctor is now Alex Proctor.`).waitFor();
    }
    await adminPage.goto(url + '/staff/review.html');
    const flagged = others['c-flag'].sitting;
    for (const name of ['Alex Proctor', 'Bo Proctor']) {
      const row = adminPage.locator('#queue tbody tr', { hasText: flagged });
      await row.getByLabel('Proctor for session ' + flagged).selectOption({ label: name });
      await row.getByRole('button', { name: 'Assign session ' + flagged }).click();
      await adminPage.getByText(`Session ${flagged} assigned to ${name}.`).waitFor();
    }

    // Alex: Test Candidate's and Fiona's photos match; Ivan's do not. Alex proposes a breach for Fiona.
    const a = await newStaffPage(browser);
    await signIn(a, url, 'a@proctors.example.org');
    for (const name of ['Test Candidate', 'Fiona Flagged', 'Ivan Identity']) {
      await a.goto(url + '/staff/identity.html');
      await a.getByRole('link', { name }).click();
      await a.getByRole('heading', { name: 'Identity check: ' + name }).waitFor();
      if (name === 'Ivan Identity') {
        await a.getByRole('radio', { name: 'Does not match' }).check();
        await a.getByLabel(/^Note/).fill(NOTE + ': the face differs.');
        await a.getByLabel(/^Public reason/).fill(ID_REASON);
        await a.getByRole('button', { name: 'Record decision' }).click();
        await a.locator('#decide-msg', { hasText: 'A second proctor will now decide this check.' }).waitFor();
      } else {
        await a.getByRole('radio', { name: 'Matches' }).check();
        await a.getByRole('button', { name: 'Record decision' }).click();
        await a.locator('#decide-msg', { hasText: 'Decided: the photos match.' }).waitFor();
      }
    }
    await a.goto(url + '/staff/review.html');
    await a.getByRole('link', { name: flagged }).click();
    await a.getByRole('heading', { name: 'Review session ' + flagged }).waitFor();
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

    // Bo confirms the breach and, as the second proctor the admin chose, Ivan's mismatch.
    await adminPage.goto(url + '/staff/identity.html');
    const ivanRow = adminPage.locator('#queue tbody tr', { hasText: 'Ivan Identity' });
    await ivanRow.getByLabel('Second proctor for Ivan Identity').selectOption({ label: 'Bo Proctor' });
    await ivanRow.getByRole('button', { name: 'Assign as second for Ivan Identity' }).click();
    await adminPage.getByText('Ivan Identity: second proctor is now Bo Proctor.').waitFor();
    const b = await newStaffPage(browser);
    await signIn(b, url, 'b@proctors.example.org');
    await b.goto(url + '/staff/review.html');
    await b.getByRole('link', { name: flagged }).click();
    await b.locator('#proposed-public-reason', { hasText: VOID_REASON }).waitFor();
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

    // Release releases only Test Candidate's result.
    for (const s of [own, flagged]) await must(SERVER, ['results', 'score', home, '--sitting', s]);
    await adminPage.goto(url + '/staff/results.html?w=' + encodeURIComponent(window));
    await adminPage.getByRole('button', { name: 'Release results for this window' }).click();
    await adminPage.getByRole('button', { name: 'Release now' }).click();
    await adminPage.locator('#window-msg', { hasText: 'Released 1 result(s) now' }).waitFor();
    await candidate.goto(new URL('/result.html', client.url).href);
    await candidate.locator('#result-status', { hasText: 'Your result, as released.' }).waitFor();
    assert.match(await candidate.locator('#result-list').innerText(), /Outcome: Met/);
    await checkAccessibility(candidate, 'result page, released');

    // Fiona's and Ivan's result pages: the decision, its public reason, and the appeal form.
    const fionaClient = await (await sitting.clientFor('c-flag')).start();
    const fiona = await browser.newPage();
    await fiona.goto(fionaClient.url);
    await fiona.goto(new URL('/result.html', fionaClient.url).href);
    await fiona.locator('#result-list', { hasText: `Void following a review: ${VOID_REASON}` }).waitFor();
    await fiona.getByRole('heading', { name: 'Ask for a review of this decision (appeal)' }).waitFor();
    await fiona.getByRole('heading', { name: 'How an appeal works' }).waitFor();
    assert.ok(!(await fiona.content()).includes(NOTE), 'the candidate never sees a proctor note');
    await checkAccessibility(fiona, 'result page, void with the appeal form');
    const ivanClient = await (await sitting.clientFor('c-ident')).start();
    const ivan = await browser.newPage();
    await ivan.goto(ivanClient.url);
    await ivan.goto(new URL('/result.html', ivanClient.url).href);
    await ivan.locator('#result-list', { hasText: `Withheld: identity not confirmed: ${ID_REASON}` }).waitFor();
    await ivan.getByRole('heading', { name: 'Ask for a review of this decision (appeal)' }).waitFor();
    assert.doesNotMatch(await ivan.locator('#result-list').innerText(), /Outcome:/);
    await checkAccessibility(ivan, 'result page, withheld: identity not confirmed');

    // An empty reason is refused on the page; then Fiona appeals while the server is down.
    await fiona.getByRole('button', { name: 'Send appeal' }).click();
    await fiona.locator('.field__error', { hasText: 'say in your own words' }).waitFor();
    await checkAccessibility(fiona, 'result page, appeal form with an error');
    await sitting.server.stop('SIGTERM');
    await fiona.getByLabel('Why you think the decision is wrong').fill(APPEAL);
    await fiona.getByRole('button', { name: 'Send appeal' }).click();
    await fiona.getByRole('heading', { name: 'Appeal sent' }).waitFor();
    assert.match(await fiona.locator('#result-list').innerText(), /kept on this computer and goes to the programme as soon as this computer is online/);
    await checkAccessibility(fiona, 'result page, appeal sent (offline)');
    restarted = startProcess(SERVER, ['serve', home]);
    await restarted.waitFor(/listening on/);
    await fiona.reload();
    await fiona.getByRole('heading', { name: 'Appeal received' }).waitFor();
    await checkAccessibility(fiona, 'result page, appeal received');

    // The admin's Appeals page offers only the proctors who took no part (not Alex, not Bo).
    await adminPage.goto(url + '/staff/appeals.html');
    const appealRow = adminPage.locator('#appeals tbody tr', { hasText: 'Fiona Flagged' });
    await appealRow.waitFor();
    const offered = await appealRow.getByLabel('Reviewer for the appeal of Fiona Flagged', { exact: true }).locator('option').allInnerTexts();
    assert.deepEqual(offered.sort(), ['Cara Proctor', 'Dev Proctor', 'Eve Proctor', 'Finn Proctor']);
    await checkAccessibility(adminPage, 'appeals list, waiting for a reviewer');
    await appealRow.getByLabel('Reviewer for the appeal of Fiona Flagged', { exact: true }).selectOption({ label: 'Cara Proctor' });
    await appealRow.getByLabel('Second reviewer for the appeal of Fiona Flagged', { exact: true }).selectOption({ label: 'Dev Proctor' });
    await appealRow.getByRole('button', { name: 'Assign the appeal of Fiona Flagged' }).click();
    await adminPage.getByText('Appeal of Fiona Flagged: reviewer Cara Proctor, second reviewer Dev Proctor.').waitFor();
    await appealRow.getByRole('link', { name: /Fiona Flagged/ }).click();
    await adminPage.getByRole('heading', { name: 'Appeal: Fiona Flagged' }).waitFor();
    await adminPage.getByText('The evidence opens only for the reviewers of this appeal.').waitFor();
    assert.equal(await adminPage.locator('#decide').isHidden(), true);
    await checkAccessibility(adminPage, 'appeal page followed by an admin');

    // Cara, a third person, sees the candidate's reason, the decision and its evidence, and proposes overturned.
    const c = await newStaffPage(browser);
    await signIn(c, url, 'c@proctors.example.org');
    await c.goto(url + '/staff/appeals.html');
    await c.getByRole('link', { name: /Fiona Flagged/ }).click();
    await c.getByRole('heading', { name: 'Appeal: Fiona Flagged' }).waitFor();
    await c.locator('#reason', { hasText: APPEAL }).waitFor();
    await c.locator('#original', { hasText: VOID_REASON }).waitFor();
    await c.getByRole('button', { name: /Show evidence/ }).first().click();
    await c.locator('#original img').first().waitFor();
    await checkAccessibility(c, 'appeal page, the reviewer');
    await c.getByRole('radio', { name: 'Overturned: release the result' }).check();
    await c.getByLabel(/^Note/).fill(NOTE + ': the second face is a photograph.');
    await c.getByLabel(/^Start the public reason/).selectOption({ label: OVERTURN });
    await c.getByRole('button', { name: 'Record outcome' }).click();
    await c.locator('#decide-msg', { hasText: 'The second reviewer must agree before it takes effect.' }).waitFor();
    await checkAccessibility(c, 'appeal page, proposed');

    // Dev, a fourth person, confirms: the result is released with its certificate.
    const d = await newStaffPage(browser);
    await signIn(d, url, 'd@proctors.example.org');
    await d.goto(url + '/staff/appeals.html');
    await d.getByRole('link', { name: /Fiona Flagged/ }).click();
    await d.locator('#proposed-public-reason', { hasText: OVERTURN }).waitFor();
    await checkAccessibility(d, 'appeal page, the second reviewer');
    await d.getByRole('radio', { name: 'Overturned: release the result' }).check();
    await d.getByLabel(/^Note/).fill(NOTE + ': agreed.');
    await d.getByRole('button', { name: 'Record outcome' }).click();
    await d.locator('#decide-msg', { hasText: 'Decided: overturned. The result is released now, with its certificate.' }).waitFor();
    await checkAccessibility(d, 'appeal page, decided');

    // Fiona's page: released after an appeal, with her certificate, which verifies offline.
    await fiona.reload();
    await fiona.locator('#result-list', { hasText: 'Released after an appeal' }).waitFor();
    assert.match(await fiona.locator('#result-list').innerText(), /Outcome: Met/);
    assert.match(await fiona.locator('#result-list').innerText(), /the decision was overturned/);
    await checkAccessibility(fiona, 'result page, released after an appeal');
    const body = await fiona.evaluate(async () => (await fetch('/api/result')).json());
    const released = body.results.find((r) => r.sitting_id === flagged);
    assert.ok(released && released.certificate, 'the released result carries its certificate');
    const certFile = path.join(sitting.root, 'fiona-certificate.json');
    fs.writeFileSync(certFile, JSON.stringify(released.certificate));
    const verified = await run(env('VIGIL_CLIENT_EXE'), ['verify-certificate', certFile, '--keys',
      path.join(home, 'published', 'issuer-keys.json')]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^VALID/);

    // Ivan's page still says withheld; the council's status says the right thing for all three.
    await ivan.reload();
    await ivan.locator('#result-list', { hasText: `Withheld: identity not confirmed: ${ID_REASON}` }).waitFor();
    const manager = await newStaffPage(browser);
    await signIn(manager, url, 'manager@northmere.example.org');
    const statusRow = (name) => manager.locator('#status tbody tr', { hasText: name });
    await statusRow('Fiona Flagged').waitFor();
    assert.match(await statusRow('Test Candidate').innerText(), /Result released: met/);
    assert.match(await statusRow('Fiona Flagged').innerText(), /Result released after an appeal: met/);
    assert.match(await statusRow('Ivan Identity').innerText(), new RegExp('Withheld: identity not confirmed: ' + ID_REASON));
    assert.ok(!(await manager.content()).includes(NOTE), 'the council page shows no proctor note');
    await checkAccessibility(manager, 'council page after an appeal');

    // Ivan appeals too. Cara proposes overturned, Dev records upheld: the reviewers disagree, and the
    // appeal goes back to the admin, who can now give it only to Eve and Finn, who took no part;
    // both uphold it, and Ivan's page says the decision stands, with their reason.
    const UPHELD = 'The photographs do not show the endorsed candidate: the decision stands.';
    await ivan.getByLabel('Why you think the decision is wrong').fill('The photo on my ID card is ten years old.');
    await ivan.getByRole('button', { name: 'Send appeal' }).click();
    await ivan.getByRole('heading', { name: 'Appeal received' }).waitFor();
    const decideAppeal = async (page, outcome, note, reason, expect) => {
      await page.goto(url + '/staff/appeals.html');
      await page.getByRole('link', { name: /Ivan Identity/ }).click();
      await page.getByRole('heading', { name: 'Appeal: Ivan Identity' }).waitFor();
      await page.getByRole('radio', { name: outcome }).check();
      await page.getByLabel(/^Note/).fill(note);
      if (reason) await page.getByLabel(/^Public reason/).fill(reason);
      await page.getByRole('button', { name: 'Record outcome' }).click();
      await page.locator('#decide-msg', { hasText: expect }).waitFor();
    };
    const assignIvan = async (first, second) => {
      await adminPage.goto(url + '/staff/appeals.html');
      const row = adminPage.locator('#appeals tbody tr', { hasText: 'Ivan Identity' });
      await row.waitFor();
      await row.getByLabel('Reviewer for the appeal of Ivan Identity', { exact: true }).selectOption({ label: first });
      await row.getByLabel('Second reviewer for the appeal of Ivan Identity', { exact: true }).selectOption({ label: second });
      await row.getByRole('button', { name: 'Assign the appeal of Ivan Identity' }).click();
      await adminPage.getByText(`Appeal of Ivan Identity: reviewer ${first}, second reviewer ${second}.`).waitFor();
      return row;
    };
    await assignIvan('Cara Proctor', 'Dev Proctor');
    await decideAppeal(c, 'Overturned: release the result', NOTE + ': the photo is old.', OVERTURN, 'The second reviewer must agree');
    await decideAppeal(d, 'Upheld: the decision stands', NOTE + ': not the same person.', UPHELD, 'You and the reviewer disagree');
    await checkAccessibility(d, 'appeal page, the reviewers disagree');
    await adminPage.goto(url + '/staff/appeals.html');
    const disputed = adminPage.locator('#appeals tbody tr', { hasText: 'Ivan Identity' });
    await disputed.getByText('the reviewers disagreed: assign two others').waitFor();
    const offeredAgain = await disputed.getByLabel('Reviewer for the appeal of Ivan Identity', { exact: true }).locator('option').allInnerTexts();
    assert.deepEqual(offeredAgain.sort(), ['Eve Proctor', 'Finn Proctor']);
    await checkAccessibility(adminPage, 'appeals list, disputed');
    await assignIvan('Eve Proctor', 'Finn Proctor');
    const e = await newStaffPage(browser);
    await signIn(e, url, 'e@proctors.example.org');
    await decideAppeal(e, 'Upheld: the decision stands', NOTE + ': agreed with Dev.', UPHELD, 'The second reviewer must agree');
    const f = await newStaffPage(browser);
    await signIn(f, url, 'f@proctors.example.org');
    await decideAppeal(f, 'Upheld: the decision stands', NOTE + ': agreed.', '', 'Decided: upheld. The decision stands.');
    await ivan.reload();
    await ivan.locator('#result-list', { hasText: 'the decision stands. This outcome is final.' }).waitFor();
    await ivan.locator('#result-list', { hasText: `The reviewers' reason: ${UPHELD}` }).waitFor();
    await ivan.locator('#result-list', { hasText: `Withheld: identity not confirmed` }).waitFor();
    assert.ok(!(await ivan.content()).includes(NOTE), 'the candidate page shows no proctor note');
    await checkAccessibility(ivan, 'result page, appeal decided: the decision stands');
    await manager.reload();
    await statusRow('Ivan Identity').waitFor();
    assert.match(await statusRow('Ivan Identity').innerText(), /decision stands/);
    await checkAccessibility(manager, 'council page after an upheld appeal');
  } finally {
    await browser.close();
    if (restarted) await restarted.stop('SIGTERM');
    await sitting.stop();
  }
});
