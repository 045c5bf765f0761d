// Blind marking in the real browser: a candidate sits the practitioner sample through the real
// client and writes a borderline answer; assessor A marks it from the queue with the keyboard
// (never seeing who wrote it) and the server asks for a second marking; assessor A no longer sees
// it; assessor B marks it without seeing A's marks, the two agree and the marks are final; the
// admin page's progress panel counts it as final. axe-core on every page state.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { prepareSitting, sitAndSubmit } = require('./lib/sitting');
const { launchBrowser } = require('./lib/harness');
const { admin, newStaffPage, signIn, checkAccessibility, markScript: mark, assertNotShown } = require('./lib/staff');

const ANSWER = 'The referral shows a pattern of missed school days.\n\nI would visit within two days, speak to the child alone and agree a plan with the family.';

test('two assessors mark a borderline script blind and their agreed marks become final', async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const candidatePage = await browser.newPage();
    await candidatePage.goto((await sitting.startClient()).url);
    const sittingId = (await sitAndSubmit(candidatePage, sitting, { written: { text: ANSWER } })).session_id;

    await admin(sitting.home, ['create-user', '--email', 'admin@programme.example.org', '--name', 'Priya Admin']);
    await admin(sitting.home, ['create-user', '--email', 'a@assessors.example.org', '--name', 'Ann Assessor', '--role', 'assessor']);
    await admin(sitting.home, ['create-user', '--email', 'b@assessors.example.org', '--name', 'Ben Assessor', '--role', 'assessor']);
    // The council's name is left out: the sample content's case material is set in the same
    // fictional "Northmere", so the task itself mentions it.
    const identity = ['Test Candidate', 'c-0001', 'test.candidate@example.org', 'northmere', sittingId];
    // Assessor A: the sign-in page sends assessors to the marking page; keyboard to the script.
    const a = await newStaffPage(browser);
    await signIn(a, url, 'a@assessors.example.org');
    await a.waitForURL(/marking\.html/);
    const row = a.locator('#queue tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    await checkAccessibility(a, 'marking queue');
    await a.keyboard.press('j');
    await a.keyboard.press('Enter');
    await a.getByRole('heading', { name: /^Script .*: first marking$/ }).waitFor();
    assert.match(await a.locator('#tasks').innerText(), /missed school days/);
    await a.getByText('Case material the candidate read').click();   // the written section's case summary
    assert.ok((await a.locator('#tasks details h3').count()) > 0);
    assert.match(await a.locator('#tasks').innerText(), /\d+ words \(guidance 600 to 1100 words\)/);
    assert.equal(await a.locator('#areas fieldset').count(), 3);   // P4, P6, P7 with their rubrics
    assert.ok((await a.locator('#areas fieldset').first().locator('li').count()) > 0);
    await checkAccessibility(a, 'script, first marking');
    await assertNotShown(a, identity, 'the first marking');
    // A bad mark is refused on the page before anything is sent.
    await mark(a, { P4: 11, P6: 6, P7: 6 });
    await a.getByText('The mark for P4 must be a whole number from 0 to 10.').waitFor();
    // 6 + 6 + 6 = 18 of 30: at the 60 % threshold, inside the band: a second marking is needed.
    await mark(a, { P4: 6, P6: 6, P7: 6 });
    await a.getByText(/a second assessor will mark it/).waitFor();
    await a.getByText('No scripts are waiting for you.').waitFor();
    await checkAccessibility(a, 'marking queue after marking');

    // Assessor B: sees the script for a second marking, without A's marks or comments.
    const b = await newStaffPage(browser);
    await signIn(b, url, 'b@assessors.example.org');
    await b.locator('#queue tbody tr').first().waitFor();
    await b.getByRole('button', { name: /^Script / }).click();
    await b.getByRole('heading', { name: /^Script .*: second marking$/ }).waitFor();
    const shown = await b.locator('#script').innerText();
    assert.ok(!shown.includes('Evidence for P4'), 'the second marker does not see the first comments');
    assert.equal(await b.locator('#earlier table').count(), 0);
    await assertNotShown(b, identity, 'the second marking');
    await checkAccessibility(b, 'script, second marking');
    // 6 + 7 + 6 = 19: within the tolerance and on the same side: agreed, final.
    await mark(b, { P4: 6, P6: 7, P7: 6 });
    await b.getByText(/The marks of this script are final/).waitFor();

    // The admin's progress panel counts it as final.
    const adminPage = await newStaffPage(browser);
    await signIn(adminPage, url, 'admin@programme.example.org');
    const progress = adminPage.locator('#marking tbody tr', { hasText: sitting.assessmentId });
    await progress.waitFor();
    assert.deepEqual((await progress.locator('td').allInnerTexts()).map(Number), [0, 0, 0, 1]);
    await checkAccessibility(adminPage, 'administration page with marking progress');
  } finally {
    await browser.close();
    await sitting.stop();
  }
});

test('when two markings disagree a third assessor sees both and decides', async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    const candidatePage = await browser.newPage();
    await candidatePage.goto((await sitting.startClient()).url);
    await sitAndSubmit(candidatePage, sitting, { written: { text: ANSWER } });
    const pages = {};
    for (const who of ['a', 'b', 'c']) {
      await admin(sitting.home, ['create-user', '--email', `${who}@assessors.example.org`, '--name', `Assessor ${who.toUpperCase()}`, '--role', 'assessor']);
      pages[who] = await newStaffPage(browser);
      await signIn(pages[who], url, `${who}@assessors.example.org`);
    }
    const open = async (page, marking) => {
      await page.getByRole('button', { name: /^Script / }).click();
      await page.getByRole('heading', { name: new RegExp(`^Script .*: ${marking}`) }).waitFor();
    };
    await open(pages.a, 'first marking');
    await mark(pages.a, { P4: 6, P6: 6, P7: 6 });        // 18 of 30: reaches 60 %, borderline
    await pages.a.getByText(/a second assessor will mark it/).waitFor();
    await pages.b.reload();
    await open(pages.b, 'second marking');
    await mark(pages.b, { P4: 5, P6: 6, P7: 6 });        // 17: below 60 %: the two disagree
    await pages.b.getByText(/a third assessor will decide/).waitFor();
    await pages.c.reload();
    await open(pages.c, 'third marking');
    const earlier = pages.c.locator('#earlier table');
    await earlier.waitFor();
    const text = await earlier.innerText();
    assert.match(text, /Evidence for P4: mark 6\./);
    assert.match(text, /Evidence for P4: mark 5\./);
    assert.ok(!text.includes('Assessor A') && !text.includes('a@assessors'), 'earlier markers stay anonymous');
    await checkAccessibility(pages.c, 'script, third marking with the earlier markings');
    await mark(pages.c, { P4: 4, P6: 5, P7: 5 });
    await pages.c.getByText(/The marks of this script are final/).waitFor();
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
