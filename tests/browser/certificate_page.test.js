// The printable certificate page (`vigil-server certificate print`, `vigil-client result
// --print-certificate`): a standalone HTML document that passes axe on screen and in print
// media, shows the holder, level, dates and feedback, and escapes every value it shows.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { env, launchBrowser, checkAccessibility, tempDir, run } = require('./lib/harness');

test('the printable certificate page is accessible, complete and escapes what it shows', async () => {
  const dir = tempDir('vigil-cert-page-');
  // Form only: printing does not verify (the page says the signed file is the proof).
  const cert = {
    v: 1,
    credential_id: '0123456789abcdef0123456789abcdef',
    candidate_name: "Zoë O'Brien <b>bold</b> & co",
    candidate_id: 'c-0042',
    level: 'practice_supervisor',
    outcome: 'met',
    award_date: '2026-11-22',
    expiry_date: '2029-11-22',
    assessment_id: 'ps-2026-11',
    assessment_version: 3,
    feedback: [{ kss: 'S1', percent: 80, at_standard: true }, { kss: 'S2', percent: 45, at_standard: false }],
    issued_wall_ms: 1795370000000,
    issuer_key_id: 'd2069477b60b8796',
    signature: Buffer.alloc(64).toString('base64'),
  };
  fs.writeFileSync(path.join(dir, 'cert.json'), JSON.stringify(cert));
  const page_file = path.join(dir, 'page.html');
  const r = await run(env('VIGIL_SERVER_EXE'), ['certificate', 'print', path.join(dir, 'cert.json'), '--out', page_file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);

  // A malformed certificate is refused, naming the field.
  fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ ...cert, award_date: '22/11/2026' }));
  const bad = await run(env('VIGIL_SERVER_EXE'), ['certificate', 'print', path.join(dir, 'bad.json'), '--out', path.join(dir, 'bad.html')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /award_date/);

  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(page_file).href);
    assert.equal(await page.locator('h1').innerText(), 'Certificate of accreditation');
    // The name appears as text: no <b> element was injected.
    assert.equal(await page.locator('.holder').innerText(), "Zoë O'Brien <b>bold</b> & co");
    assert.equal(await page.locator('.holder b').count(), 0);
    const text = await page.locator('main').innerText();
    assert.match(text, /practice supervisor/);
    assert.match(text, /2029-11-22/);
    assert.match(text, /0123456789abcdef0123456789abcdef/);
    assert.match(text, /verify-certificate/);
    assert.equal(await page.locator('tbody tr').count(), 2);
    assert.equal(await page.locator('script').count(), 0);
    await checkAccessibility(page, 'certificate page');
    await page.emulateMedia({ media: 'print' });
    await checkAccessibility(page, 'certificate page (print)');
  } finally {
    await browser.close();
  }
});
