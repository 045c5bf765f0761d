// Issue 7's whole journey across every role, with the real vigil-server and vigil-client and the
// real staff and candidate pages in chromium:
//   the candidate sits the practitioner sample (every objective item as keyed, a written answer),
//   submits and answers the optional equalities questions →
//   assessor A marks the written script blind; it is borderline, so →
//   assessor B marks it again without seeing A's marks; they agree and the agreed marks are final →
//   the programme admin releases the window from the Results page, which issues the certificate →
//   the candidate sees the result per KSS area, and again after the server is stopped (offline) →
//   the council manager sees the result of their candidate →
//   the certificate verifies with `vigil-client verify-certificate`, and fails after a one-byte
//   change, after revocation, and against an issuer key set that does not hold its key.
// Hand-worked: the written stage has areas P4, P6 and P7, each marked 0 to 10. A marks 6, 6, 6
// (18 of 30 = 60 %, exactly at the default 60 % threshold, within the 5-point band: second
// marking); B marks 6, 7, 6 (19 of 30, same side, 1 point apart: agreement); the agreed marks are
// the means with halves rounded up: P4 6, P6 7, P7 6 = 19 of 30 = 63 %. Knowledge and scenario are
// all right, so the outcome is met.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { prepareSitting, must, call, sitAndSubmit, keyedAnswers } = require('./lib/sitting');
const { env, launchBrowser, run, startProcess, tempDir } = require('./lib/harness');
const { admin, newStaffPage, signIn, identityMatches, checkAccessibility, markScript: mark, assertNotShown } = require('./lib/staff');

const ANSWER = 'The referral shows a pattern of missed school days and a new injury.\n\n'
  + 'I would visit within two days, see the child alone, speak to the school nurse and agree a written plan with the family.';

async function verify(certificate, keys, revocations) {
  const args = ['verify-certificate', certificate, '--keys', keys];
  if (revocations) args.push('--revocations', revocations);
  const r = await run(env('VIGIL_CLIENT_EXE'), args);
  return { code: r.code, out: r.stdout + r.stderr };
}

test('candidate submits, assessors mark blind, admin releases, candidate sees it offline, council sees it, certificate verifies', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  let restarted = null;
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    await admin(sitting.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    await admin(sitting.home, ['create-user', '--email', 'a@assessors.example.org', '--name', 'Ann Assessor', '--role', 'assessor']);
    await admin(sitting.home, ['create-user', '--email', 'b@assessors.example.org', '--name', 'Ben Assessor', '--role', 'assessor']);
    await admin(sitting.home, ['create-user', '--email', 'manager@northmere.example.org', '--name', 'Nia Manager',
      '--role', 'council_manager', '--council', 'northmere']);

    // ---- The candidate sits and submits, then answers the optional equalities questions.
    const candidate = await browser.newPage();
    const client = await sitting.startClient();
    await candidate.goto(client.url);
    const receipt = await sitAndSubmit(candidate, sitting, keyedAnswers(sitting.contentDir, ANSWER));
    const sittingId = receipt.session_id;
    const declared = await call(candidate, 'PUT', '/api/equalities', { v: 1, age_band: '35_44', ethnicity: 'mixed' });
    assert.equal(declared.status, 200, JSON.stringify(declared.body));

    // ---- Assessor A: blind first marking, borderline.
    const identity = ['Test Candidate', 'c-0001', 'test.candidate@example.org', sittingId,
      '35 to 44', 'Mixed or multiple ethnic groups'];
    const a = await newStaffPage(browser);
    await signIn(a, url, 'a@assessors.example.org');
    await a.waitForURL(/marking\.html/);
    await a.locator('#queue tbody tr').first().waitFor();
    await a.getByRole('button', { name: /^Script / }).click();
    await a.getByRole('heading', { name: /^Script .*: first marking$/ }).waitFor();
    assert.match(await a.locator('#tasks').innerText(), /missed school days and a new injury/);
    await assertNotShown(a, identity, 'the first marking');
    await checkAccessibility(a, 'journey: first marking');
    await mark(a, { P4: 6, P6: 6, P7: 6 });
    await a.getByText(/a second assessor will mark it/).waitFor();
    // Assessors get nothing else: the council's results and the admin's release are refused.
    const refused = await a.evaluate(async () => [
      (await fetch('/staff/api/councils/northmere/results')).status,
      (await fetch('/staff/api/results/windows')).status,
      (await fetch('/staff/api/reports/windows')).status]);
    assert.deepEqual(refused, [403, 403, 403]);

    // ---- Assessor B: second marking, without A's marks; agreement makes the marks final.
    const b = await newStaffPage(browser);
    await signIn(b, url, 'b@assessors.example.org');
    await b.getByRole('button', { name: /^Script / }).click();
    await b.getByRole('heading', { name: /^Script .*: second marking$/ }).waitFor();
    assert.ok(!(await b.locator('#script').innerText()).includes('Evidence for P4'), 'B does not see A\'s comments');
    await assertNotShown(b, identity, 'the second marking');
    await mark(b, { P4: 6, P6: 7, P7: 6 });
    await b.getByText(/The marks of this script are final/).waitFor();

    // ---- A proctor finds that the identity photos match (nothing is released before).
    await identityMatches(browser, url, sitting.home, sittingId);

    // ---- The programme admin releases the window from the Results page.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, url, 'admin@programme.example.org');
    await adminPage.getByRole('link', { name: 'Results' }).click();
    await adminPage.getByRole('heading', { name: 'Results', level: 1 }).waitFor();
    const row = adminPage.locator('#windows tbody tr', { hasText: sitting.assessmentId });
    await row.waitFor();
    // sittings, submitted, scored, awaiting marking, met, not met, released
    assert.deepEqual(await row.locator('td').allInnerTexts(), ['1', '1', '1', '0', '1', '0', '0']);
    await adminPage.getByRole('button', { name: 'Release results for this window' }).click();
    await adminPage.getByRole('button', { name: 'Release now' }).click();
    await adminPage.locator('#window-msg', { hasText: 'Released 1 result(s) now' }).waitFor();
    assert.match(await adminPage.locator('#window-msg').innerText(), /1 certificate\(s\) issued/);
    await checkAccessibility(adminPage, 'journey: results page after release');

    // ---- The candidate's result, per KSS area (written 19 of 30 = 63 %).
    await candidate.goto(new URL('/result.html', client.url).href);
    await candidate.locator('#result-status', { hasText: 'Your result, as released.' }).waitFor();
    const shown = await candidate.locator('#result-list').innerText();
    assert.match(shown, /Outcome: Met/);
    assert.match(shown, /Written assessment\s+Met\s+63%/);
    assert.match(shown, /P6\s+\d+%\s+At the standard/);
    await checkAccessibility(candidate, 'journey: result page');

    // ---- The server stops: the candidate still sees the kept result; the certificate is kept too.
    await sitting.server.stop('SIGTERM');
    await candidate.reload();
    await candidate.locator('#result-status', { hasText: 'cannot be reached' }).waitFor();
    assert.equal(await candidate.locator('#result-list').innerText(), shown);
    await client.proc.stop('SIGTERM');   // the command line below opens the same store
    const work = tempDir('vigil-journey-');
    const cert = path.join(work, 'cert.json');
    const kept = await must(env('VIGIL_CLIENT_EXE'), [...sitting.clientArgs, 'result', '--offline', '--save-certificate', cert]);
    assert.match(kept, /Outcome: MET/);

    // ---- The council manager sees their candidate's result (the server is back).
    restarted = startProcess(SERVER, ['serve', sitting.home]);
    await restarted.waitFor(/listening on/);
    const manager = await newStaffPage(browser);
    await signIn(manager, url, 'manager@northmere.example.org');
    const result = manager.locator('#results tbody tr', { hasText: 'Test Candidate' });
    await result.waitFor();
    const councilText = await result.innerText();
    assert.match(councilText, /Met/);
    assert.match(councilText, /Written: 63% \(met\)/);
    assert.ok(!councilText.includes('Mixed or multiple'), 'the council sees no equalities data');
    await checkAccessibility(manager, 'journey: council results');

    // ---- The certificate, verified offline against the published issuer keys.
    const keys = path.join(sitting.home, 'published', 'issuer-keys.json');
    let v = await verify(cert, keys);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /VALID/);
    assert.match(v.out, /Test Candidate/);
    assert.match(v.out, /not checked for revocation/);

    // One byte changed (the name): refused.
    const text = fs.readFileSync(cert, 'utf8');
    const at = text.indexOf('Test Candidate');
    assert.ok(at >= 0);
    const changed = path.join(work, 'changed.json');
    fs.writeFileSync(changed, text.slice(0, at) + 'B' + text.slice(at + 1));
    v = await verify(changed, keys);
    assert.equal(v.code, 1, v.out);
    assert.match(v.out, /NOT VALID: bad_signature/);

    // An issuer key set without its key (another programme's): refused as unknown.
    const other = path.join(work, 'other-home');
    await must(SERVER, ['init', other, '--port', '1']);
    await must(SERVER, ['certificate', 'keys', 'rotate', other]);   // creates and publishes its key set
    v = await verify(cert, path.join(other, 'published', 'issuer-keys.json'));
    assert.equal(v.code, 1, v.out);
    assert.match(v.out, /NOT VALID: unknown_key/);

    // Revoked: the admin revokes it; the published list makes the verifier refuse it.
    const id = JSON.parse(text).credential_id;
    await must(SERVER, ['certificate', 'revoke', sitting.home, '--id', id, '--reason', 'issued in error']);
    v = await verify(cert, keys, path.join(sitting.home, 'published', 'revocations.json'));
    assert.equal(v.code, 1, v.out);
    assert.match(v.out, /NOT VALID: revoked/);
    assert.match(v.out, /issued in error/);
  } finally {
    await browser.close();
    if (restarted) await restarted.stop('SIGTERM');
    await sitting.stop();
  }
});
