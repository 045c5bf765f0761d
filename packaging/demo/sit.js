// The demo's candidate: sits a whole assessment through the real pages of `vigil-client start`
// in headless chromium, as a person would with the mouse, and saves a screenshot of each screen.
//
//   node packaging/demo/sit.js URL ENROLMENT_CODE SCREENSHOT_DIR
//
// Used by packaging/run-demo.sh. It answers every question (first options; a short text for
// written tasks), takes the identity photos from the client's camera (the demo feeds it a video
// of a face) and waits for the server's signed receipt.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('../../tests/browser/node_modules/playwright-core');

const [url, code, shots] = process.argv.slice(2);
if (!url || !code || !shots) {
  console.error('usage: node packaging/demo/sit.js URL ENROLMENT_CODE SCREENSHOT_DIR');
  process.exit(64);
}
fs.mkdirSync(shots, { recursive: true });

let n = 0;
async function screen(page, heading, name) {
  await page.waitForFunction((t) => {
    const a = document.activeElement;
    return a && a.tagName === 'H1' && a.textContent.includes(t);
  }, heading, { timeout: 60000 });
  n += 1;
  const file = path.join(shots, `${String(n).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screen: ${heading}  (${path.basename(file)})`);
}

const click = (page, name) => page.getByRole('button', { name, exact: true }).click();

async function answerSection(page, title, index) {
  await click(page, 'Go to the first question');
  let answered = 0;
  for (;;) {
    const box = page.getByLabel('Your answer');
    if (await box.count()) {
      await box.fill('The children need a plan their family understands. I would share the concerns openly, '
        + 'agree small steps with the parents, involve the school and the health visitor, and review it together in four weeks.');
    } else {
      const radios = page.locator('main fieldset input[type=radio]');
      const boxes = page.locator('main fieldset input[type=checkbox]');
      if (await radios.count()) await radios.first().check();
      else {
        const legend = (await page.locator('main fieldset legend').first().textContent()) || '';
        const m = legend.match(/[Cc]hoose (\d+)/);
        const want = m ? Number(m[1]) : 2;
        for (let i = 0; i < want; i += 1) await boxes.nth(i).check();
      }
    }
    answered += 1;
    await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
    if (answered === 1 && index === 0) {
      n += 1;
      await page.screenshot({ path: path.join(shots, `${String(n).padStart(2, '0')}-question.png`), fullPage: true });
    }
    const next = page.getByRole('button', { name: 'Next question', exact: true });
    if (!(await next.count())) break;
    await next.click();
  }
  console.log(`  ${title}: ${answered} questions answered, each saved before the page said so`);
}

(async () => {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium', args });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await screen(page, 'Set up Vigil on this computer', 'enrol');
    await page.getByLabel('Enrolment code').fill(code);
    await click(page, 'Continue');
    await screen(page, 'Download your assessment', 'download');
    await click(page, 'Download my assessment');
    await screen(page, 'Check your computer', 'system-check');
    await page.locator('.checks li').first().waitFor();
    await click(page, 'Continue');
    await screen(page, 'Before your assessment', 'ready');
    await click(page, 'Start my assessment');
    await screen(page, 'Confirm who you are', 'identity');
    for (const step of ['Step 1: a photo of your face', 'Step 2: a photo of your photo ID']) {
      await page.getByRole('region', { name: step }).getByRole('button', { name: 'Take photo', exact: true }).click();
      await page.waitForFunction(() => !document.querySelector('[aria-disabled="true"]'));
    }
    const photos = await page.locator('img.photo__img').count();
    if (photos === 2) await page.getByLabel('Automatically, with a person reviewing anything unclear').check();
    else await page.getByLabel('By a person instead').check();
    console.log(`  identity: ${photos} photo(s) taken, consent given`);
    await click(page, 'Confirm and continue');

    for (let index = 0; ; index += 1) {
      // The section's instructions screen: its heading is the section's title.
      await page.getByRole('button', { name: 'Go to the first question', exact: true }).waitFor({ timeout: 60000 });
      const title = (await page.locator('#hdr-section').textContent()) || `section ${index + 1}`;
      const heading = (await page.locator('main h1').first().textContent()).trim();
      await screen(page, heading, `section-${index + 1}`);
      await answerSection(page, title.trim(), index);
      const last = await page.getByRole('button', { name: 'Check your answers and submit', exact: true }).count();
      await page.getByRole('button', { name: last ? 'Check your answers and submit' : 'Review this section', exact: true }).last().click();
      const submit = page.getByRole('button', { name: 'Submit my assessment', exact: true });
      if (await submit.count()) {
        n += 1;
        await page.screenshot({ path: path.join(shots, `${String(n).padStart(2, '0')}-final-review.png`), fullPage: true });
        await submit.click();
        await page.locator('dialog[open]').waitFor();
        await click(page, 'Yes, submit my assessment');
        break;
      }
      await click(page, 'Finish this section');
      await click(page, 'Yes, finish this section');
      const breakButton = page.getByRole('button', { name: 'I am ready: start the next section', exact: true });
      await page.waitForTimeout(300);
      if (await breakButton.count()) {
        await screen(page, 'Your break', 'break');
        await breakButton.click();
      }
    }
    await screen(page, 'Your assessment is submitted', 'submitted');
    await page.locator('.receipt', { hasText: 'Received' }).waitFor({ timeout: 120000 });
    n += 1;
    await page.screenshot({ path: path.join(shots, `${String(n).padStart(2, '0')}-receipt.png`), fullPage: true });
    console.log('  the server has everything: its signed receipt is kept on the candidate\'s computer');
  } catch (e) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) await pages[0].screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(`demo sitting failed: ${e.message}`); process.exit(1); });
