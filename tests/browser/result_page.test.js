// The candidate's result in the real browser: a knowledge-only candidate sits and submits through
// the UI API, the server scores and releases, the result page shows the outcome, each stage
// (the exempt ones with their reason) and feedback per KSS area; after the server is stopped the
// page still shows it, from the copy kept on the computer. axe on both.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { prepareSitting, must, sitAndSubmit } = require('./lib/sitting');
const { env, launchBrowser, checkAccessibility } = require('./lib/harness');
const { identityMatches } = require('./lib/staff');

test('the candidate sees the released result per KSS area, also after the server is stopped', async () => {
  const SERVER = env('VIGIL_SERVER_EXE');
  const sitting = await prepareSitting({ accommodations: { knowledgeOnly: true } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const client = await sitting.startClient();
    await page.goto(client.url);

    // Before anything is released the page says so.
    await page.goto(new URL('/result.html', client.url).href);
    await page.locator('#result-status', { hasText: 'No result has been released' }).waitFor();
    await checkAccessibility(page, 'result page, nothing released');

    // Sit and submit through the real client.
    const receipt = await sitAndSubmit(page, sitting);
    const sittingId = receipt.session_id;

    // The programme scores and releases the window.
    const table = await must(SERVER, ['results', 'score', sitting.home, '--sitting', sittingId]);
    assert.match(table, /scenario\s+exempt/);
    const url = (await sitting.server.waitFor(/listening on (https:\/\/127\.0\.0\.1:\d+)/))[1];
    await identityMatches(browser, url, sitting.home, sittingId);
    await must(SERVER, ['admin', 'release', sitting.home, '--assessment', sitting.assessmentId]);

    await page.reload();
    await page.locator('#result-status', { hasText: 'Your result, as released.' }).waitFor();
    const shown = await page.locator('#result-list').innerText();
    assert.match(shown, /Outcome: (Met|Not met)/);
    assert.match(shown, /Scenario assessment\s+Exempt/);
    assert.match(shown, /Feedback for each KSS area/);
    assert.match(shown, /P\d+\s+\d+%\s+(At the standard|An area to develop)/);
    assert.match(shown, /Next steps/);
    await checkAccessibility(page, 'result page, released');

    // The server goes away for good: the kept copy is shown, and says so.
    await sitting.server.stop('SIGTERM');
    await page.reload();
    await page.locator('#result-status', { hasText: 'cannot be reached' }).waitFor();
    assert.equal(await page.locator('#result-list').innerText(), shown);
    await checkAccessibility(page, 'result page, offline');
  } finally {
    await browser.close();
    await sitting.stop();
  }
});
