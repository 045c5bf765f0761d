// The candidate's whole journey in a real browser: the real vigil-server (packages built from a
// content folder written here, a scheduled sitting) and the real vigil-client (`start`, its local
// web UI) driven through chromium from enrolment to the signed receipt. axe-core runs on every
// screen (0 serious or critical violations); one whole section is done with the keyboard only;
// the pages are checked at 200% zoom and in a forced-colours theme; saving is checked to say
// "Saved" only after the client answered, and to keep the text through a failed save.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser, checkAccessibility, tempDir } = require('./lib/harness');
const { prepareSitting } = require('./lib/sitting');

// ---- Content: a small assessment with every kind of section ---------------------------------

function journeyContent(id, { minutes = [30, 20, 5], breakMinutes = 1 } = {}) {
  return {
    'assessment.json': {
      format: 'vigil-assessment-source/1',
      id,
      version: 1,
      title: 'Child and family practitioner: browser test assessment',
      level: 'practitioner',
      sections: [
        { id: 'knowledge', kind: 'knowledge', title: 'Knowledge', minutes: minutes[0],
          intro: ['Answer each question. You can come back to any question in this section.'], file: 'knowledge.json' },
        { id: 'scenario-1', kind: 'scenario', title: 'Scenario: the Ash family', minutes: minutes[1],
          intro: ['Read the case material, then answer the questions.'], file: 'scenario-1.json' },
        { id: 'written', kind: 'written', title: 'Written assessment', minutes: minutes[2],
          intro: ['Write your answer to the task.'], file: 'written.json' },
      ],
      breaks: [{ after_section: 'knowledge', minutes: breakMinutes }],
    },
    'knowledge.json': {
      items: [
        { id: 'k-001', type: 'single', kss: ['P3'], stem: ['Which is the best first step?'],
          options: ['Phone the school', 'Visit the family', 'Read the file', 'Wait a week'], answer: [2],
          rationale: 'Reading the file comes first.' },
        { id: 'k-002', type: 'multiple', select: 2, kss: ['P8'], stem: ['Which two apply?'],
          options: ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'], answer: [0, 3], rationale: 'Alpha and Delta.' },
        { id: 'k-003', type: 'single', kss: ['P5'], stem: ['Which would you record?'],
          options: ['Everything', 'Nothing', 'Only facts'], answer: [0], rationale: 'Everything relevant.' },
      ],
    },
    'scenario-1.json': {
      case_material: [
        { title: 'Referral from school, 3 March', paragraphs: ['A fictional referral about a fictional family.'] },
        { title: 'Chronology', paragraphs: ['1 March: a fictional event.', '2 March: another fictional event.'] },
      ],
      items: [
        { id: 's1-001', type: 'single', kss: ['P1', 'P2'], stem: ['What do you do next?'],
          options: ['Visit', 'Phone', 'Write'], answer: [0], rationale: 'A visit.' },
        { id: 's1-002', type: 'multiple', select: 2, kss: ['P6'], stem: ['Which two people do you speak to first?'],
          options: ['The child', 'The teacher', 'A neighbour', 'The parent'], answer: [0, 3], rationale: 'Child and parent.' },
      ],
    },
    'written.json': {
      items: [
        { id: 'w-001', type: 'written', kss: ['P6', 'P7'], stem: ['Write a short case summary.'],
          words: { min: 20, max: 60 },
          rubric: { P6: ['Analyses the risk.'], P7: ['Plans next steps.'] } },
      ],
    },
  };
}

function writeContent(files) {
  const dir = path.join(tempDir('vigil-ui-content-'), files['assessment.json'].id);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), `${JSON.stringify(body, null, 2)}\n`);
  return dir;
}

// The webcam for the identity photos: a fixture clip of one steady face, when the fixtures are
// there (VIGIL_FACE_FIXTURES); without it the client has no camera.
function cameraClip() {
  const dir = process.env.VIGIL_FACE_FIXTURES;
  const clip = dir && path.join(dir, 'clip_steady_one_face.avi');
  return clip && fs.existsSync(clip) ? clip : null;
}

// A real server with the candidate's sitting open, and the real client started (not enrolled:
// enrolment is the first screen). camera: a video file the client reads as its webcam, or null.
async function startSitting(content, stops, camera = null) {
  const sitting = await prepareSitting({ contentDir: writeContent(content), enrol: false });
  stops.push(() => sitting.stop());
  const client = await sitting.startClient(camera ? ['--camera-file', camera] : []);
  return { sitting, client, code: sitting.enrolmentCode };
}

// ---- Page helpers ---------------------------------------------------------------------------

// Waits for a screen: its h1 holds `text` and has the keyboard focus (focus moves to the new
// screen's heading), and the window title names it.
async function onScreen(page, text, timeout = 30000) {
  await page.waitForFunction((t) => {
    const a = document.activeElement;
    return a && a.tagName === 'H1' && a.textContent.includes(t);
  }, text, { timeout });
  const title = await page.title();
  assert.match(title, / – Vigil$/, `the window title names the screen (${title})`);
}

// The page at 200% zoom: a 1280 px wide window zoomed to 200% lays out like a 640 px one.
// Nothing a candidate needs may be cut off or need sideways scrolling.
async function checkZoom(page, label) {
  const old = page.viewportSize();
  await page.setViewportSize({ width: 640, height: 450 });
  try {
    const problems = await page.evaluate(() => {
      const out = [];
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth > width + 1) out.push(`page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
      for (const el of document.querySelectorAll('main button, main input, main textarea, main a, main label, main h1, main h2, header button, header p')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
        if (r.left < -1 || r.right > width + 1) out.push(`${el.tagName} "${el.textContent.trim().slice(0, 40)}" is cut off (${Math.round(r.left)}..${Math.round(r.right)} of ${width})`);
      }
      return out;
    });
    assert.deepEqual(problems, [], `at 200% zoom on "${label}"`);
  } finally {
    await page.setViewportSize(old);
  }
}

// axe on the page as it is; with VIGIL_SCREENSHOTS=DIR also a full-page screenshot for a person
// to look at (DIR/NN-label.png).
let shots = 0;
async function checkScreen(page, label) {
  await checkAccessibility(page, label);
  const dir = process.env.VIGIL_SCREENSHOTS;
  if (dir) {
    shots += 1;
    fs.mkdirSync(dir, { recursive: true });
    const name = `${String(shots).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '-')}.png`;
    await page.screenshot({ path: path.join(dir, name), fullPage: true });
  }
}

// The focused element shows a visible focus indicator (an outline or a box shadow).
async function assertFocusVisible(page, label) {
  const style = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow, bg: s.backgroundColor };
  });
  assert.ok((style.outline !== 'none' && style.width !== '0px') || style.shadow !== 'none',
    `focus is visible on "${label}": ${JSON.stringify(style)}`);
}

// Presses Tab (or Shift+Tab) until the focused element's accessible text matches `re`.
async function tabTo(page, re, { back = false, max = 60 } = {}) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const text = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a) return '';
      const label = a.labels && a.labels.length ? a.labels[0].textContent : '';
      return `${a.getAttribute('aria-label') || ''} ${label} ${a.textContent || ''}`.replace(/\s+/g, ' ').trim();
    });
    if (re.test(text)) return text;
  }
  throw new Error(`no focusable element matching ${re} within ${max} presses of Tab`);
}

// Presses "Take photo" in both identity steps and waits for each to finish (a photo, or an error).
async function takePhotos(page) {
  for (const step of ['Step 1: a photo of your face', 'Step 2: a photo of your photo ID']) {
    await page.getByRole('region', { name: step }).getByRole('button', { name: 'Take photo', exact: true }).click();
    await page.waitForFunction(() => !document.querySelector('[aria-disabled="true"]'));
  }
}

const activeText = (page) => page.evaluate(() => document.activeElement.textContent.replace(/\s+/g, ' ').trim());

// ---- The journey ----------------------------------------------------------------------------

test('a candidate goes from enrolment to a signed receipt in the browser, by keyboard where it counts, with every screen accessible', async (t) => {
  const stops = [];
  const errors = [];
  // Each step is a subtest; after a failure the later steps are skipped (they would only fail
  // for the same reason).
  let failed = null;
  const step = (name, fn) => t.test(name, { skip: failed ? `an earlier step failed: ${failed}` : false }, async () => {
    try {
      await fn();
    } catch (e) {
      failed = name;
      throw e;
    }
  });
  try {
    const camera = cameraClip();
    const { sitting, client, code } = await startSitting(journeyContent('ui-journey'), stops, camera);
    const browser = await launchBrowser();
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));

    await step('enrolment refuses a wrong code with the reason and accepts the right one', async () => {
      await page.goto(client.url);
      await onScreen(page, 'Set up Vigil on this computer');
      // The skip link comes before everything else and leads to the main content.
      await tabTo(page, /^Skip to main content$/, { back: true, max: 5 });
      await assertFocusVisible(page, 'skip link');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.locator('.error-summary').waitFor();
      assert.match(await page.locator('.error-summary').textContent(), /Enter your enrolment code/);
      await page.getByLabel('Enrolment code').fill('AAAA-BBBB-CCCC-DDDD');
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.locator('.error-summary').waitFor();
      assert.equal(await page.getByLabel('Enrolment code').getAttribute('aria-invalid'), 'true');
      await checkScreen(page, 'enrol, with an error');
      await checkZoom(page, 'enrol');
      await page.getByLabel('Enrolment code').fill(code.toLowerCase());
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await onScreen(page, 'Download your assessment');
      await checkScreen(page, 'download');
    });

    await step('download, system check and getting ready, with the practice run', async () => {
      await page.getByRole('button', { name: 'Download my assessment', exact: true }).click();
      await onScreen(page, 'Check your computer');
      await page.locator('.checks li').first().waitFor();
      const checks = await page.locator('.checks li').allTextContents();
      assert.ok(checks.some((c) => /disk space/i.test(c)), `the disk check is listed: ${checks}`);
      assert.ok(checks.every((c) => /^\s*(OK|Needs attention)/.test(c)), 'every check says OK or Needs attention in words');
      await checkScreen(page, 'system check');
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await onScreen(page, 'Before your assessment');
      await checkScreen(page, 'getting ready');
      await checkZoom(page, 'getting ready');

      // The practice run saves nothing: it never calls the answers API.
      let puts = 0;
      const count = (req) => { if (req.method() === 'PUT') puts += 1; };
      page.on('request', count);
      await page.getByRole('button', { name: 'Start the practice run', exact: true }).click();
      await onScreen(page, 'Practice run');
      await page.getByRole('button', { name: 'Go to the first question', exact: true }).click();
      await page.getByLabel('Sunday').check();
      assert.equal(await page.locator('#save-status').textContent(), 'Practice: nothing is saved');
      await checkScreen(page, 'practice question');
      await page.getByRole('button', { name: 'Leave the practice run', exact: true }).click();
      await onScreen(page, 'Before your assessment');
      page.off('request', count);
      assert.equal(puts, 0, 'the practice run sent no answers');
    });

    await step('a wrong start code is refused with a reason; the online start unlocks', async () => {
      await page.getByLabel('Start code').fill('ABCD-EFGH-JKLM');
      await page.getByRole('button', { name: 'Start with this code', exact: true }).click();
      await page.locator('.error-summary').waitFor();
      assert.equal(await page.getByLabel('Start code').getAttribute('aria-invalid'), 'true');
      await checkScreen(page, 'start code refused');
      await page.getByRole('button', { name: 'Start my assessment', exact: true }).click();
      await onScreen(page, 'Confirm who you are');
    });

    await step('identity check: photos or, without a camera, a check by a person', async () => {
      await checkScreen(page, 'identity');
      // Nothing chosen: the page explains what is missing.
      await page.getByRole('button', { name: 'Confirm and continue', exact: true }).click();
      await page.locator('.error-summary').first().waitFor();
      await takePhotos(page);
      const photos = await page.locator('img.photo__img').count();
      // The human alternative is always offered; it is what works without a camera.
      assert.equal(await page.getByLabel('By a person instead').count(), 1);
      if (camera) {
        assert.equal(photos, 2, 'both photos were taken and shown');
        assert.match(await page.locator('img.photo__img').first().getAttribute('src'), /^data:image\/jpeg;base64,/);
        await page.getByLabel('Automatically, with a person reviewing anything unclear').check();
      } else {
        assert.match(await page.locator('.error-summary').last().textContent(), /camera/i);
        await page.getByLabel('By a person instead').check();
      }
      await checkScreen(page, camera ? 'identity with photos' : 'identity without a camera');
      await page.getByRole('button', { name: 'Confirm and continue', exact: true }).click();
      await onScreen(page, 'Knowledge');
    });

    await step('the knowledge section by keyboard only: answer, flag, navigate, review, finish', async () => {
      await checkScreen(page, 'section instructions');
      assert.match(await page.locator('#hdr-section').textContent(), /Section 1 of 3/);
      assert.match(await page.locator('#hdr-clock-value').textContent(), /min/);
      // The clock is not a live region (it would be read out every second)...
      assert.equal(await page.evaluate(() => Boolean(document.getElementById('hdr-clock').closest('[aria-live],[role=status],[role=alert]'))), false);

      await tabTo(page, /^Go to the first question$/);
      await assertFocusVisible(page, 'a button');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement.textContent === 'Question 1 of 3');
      // Question 1: the arrow keys move through the options and choose; choices save at once.
      await tabTo(page, /Phone the school/);
      await page.keyboard.press('Space');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.getByLabel('Read the file').isChecked(), true);
      await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
      await tabTo(page, /Flag this question for review/);
      await page.keyboard.press('Space');
      await tabTo(page, /^Next question$/);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement.textContent === 'Question 2 of 3');
      // Question 2: "choose 2"; a third choice is refused with an explanation.
      await tabTo(page, /Alpha/);
      await page.keyboard.press('Space');
      await tabTo(page, /Delta/);
      await page.keyboard.press('Space');
      await tabTo(page, /Echo/);
      await page.keyboard.press('Space');
      assert.equal(await page.getByLabel('Echo').isChecked(), false);
      assert.match(await page.locator('.choices__limit').textContent(), /You can choose 2 answers/);
      assert.match(await page.locator('.choices__count').textContent(), /chosen 2 of 2/);
      await checkScreen(page, 'multiple response question');
      await tabTo(page, /^Next question$/);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement.textContent === 'Question 3 of 3');
      // The navigator: back to question 1, which says answered and flagged.
      const nav = await tabTo(page, /^Question 1,/);
      assert.match(nav, /answered, flagged for review/);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement.textContent === 'Question 1 of 3');
      assert.equal(await page.getByLabel('Read the file').isChecked(), true);
      await checkZoom(page, 'knowledge question');
      await tabTo(page, /^Review and finish this section$/);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /Check your answers/.test(document.activeElement.textContent));
      const review = await page.locator('#work').textContent();
      assert.match(review, /Not answered \(1\)/);
      assert.match(review, /Flagged for review \(1\)/);
      await checkScreen(page, 'section review');
      await checkZoom(page, 'section review');
      // Finishing asks first, starting on the safe answer; Escape keeps the section open.
      await tabTo(page, /^Finish this section$/);
      await page.keyboard.press('Enter');
      await page.locator('dialog[open]').waitFor();
      assert.equal(await activeText(page), 'No, go back');
      await checkScreen(page, 'finish section confirmation');
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' }).catch(() => {});
      assert.equal(await page.locator('dialog[open]').count(), 0);
      assert.equal(await activeText(page), 'Finish this section');
      await page.keyboard.press('Enter');
      await page.locator('dialog[open]').waitFor();
      await tabTo(page, /^Yes, finish this section$/, { back: true });
      await page.keyboard.press('Enter');
      await onScreen(page, 'Your break');
    });

    await step('the break counts down and can end early', async () => {
      assert.match(await page.locator('#hdr-clock-label').textContent(), /Break time left/);
      await checkScreen(page, 'break');
      await checkZoom(page, 'break');
      await tabTo(page, /start the next section/);
      await page.keyboard.press('Enter');
      await onScreen(page, 'Scenario: the Ash family');
    });

    await step('the scenario section shows its case material beside the questions', async () => {
      await page.getByRole('button', { name: 'Go to the first question', exact: true }).click();
      const caseRegion = page.getByRole('region', { name: 'Case material' });
      assert.match(await caseRegion.textContent(), /Referral from school, 3 March/);
      assert.match(await caseRegion.textContent(), /Chronology/);
      await page.getByLabel('Visit').check();
      await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
      await checkScreen(page, 'scenario question');
      await checkZoom(page, 'scenario question with case material');
      // A forced-colours (high contrast) theme keeps focus visible and passes axe.
      await page.emulateMedia({ forcedColors: 'active' });
      await tabTo(page, /^Next question$/);
      await assertFocusVisible(page, 'a button in forced colours');
      await checkScreen(page, 'scenario question, forced colours');
      await page.emulateMedia({ forcedColors: 'none' });
      await page.getByRole('button', { name: 'Next question', exact: true }).click();
      await page.getByLabel('The child').check();
      await page.getByLabel('The parent').check();
      await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
      // Page events are recorded by the client for the reviewers.
      const focusLost = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().postData().includes('focus_lost'));
      await page.evaluate(() => window.dispatchEvent(new Event('blur')));
      assert.equal((await focusLost).status(), 200);
      const focusBack = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().postData().includes('focus_returned'));
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      assert.equal((await focusBack).status(), 200);
      const entered = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().postData().includes('fullscreen_entered'));
      await page.getByRole('button', { name: 'Full screen', exact: true }).click();
      assert.equal((await entered).status(), 200);
      const left = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().postData().includes('fullscreen_left'));
      await page.getByRole('button', { name: 'Leave full screen', exact: true }).click();
      assert.equal((await left).status(), 200);
      // From here on, record everything the polite live region says.
      await page.evaluate(() => {
        window.vigilAnnouncements = [];
        const el = document.getElementById('announcer');
        new MutationObserver(() => { if (el.textContent) window.vigilAnnouncements.push(el.textContent); })
          .observe(el, { childList: true, characterData: true, subtree: true });
      });
      await page.getByRole('button', { name: 'Review this section', exact: true }).click();
      await page.getByRole('button', { name: 'Finish this section', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, finish this section', exact: true }).click();
      await onScreen(page, 'Written assessment');
    });

    await step('the written section: the 5 minute warning is announced once, text saves while typing, a failed save keeps the text and retries', async () => {
      // Five minutes are allowed, so the warning is due at once: announced politely.
      await page.waitForFunction(() => /5 minutes left in this section/.test(document.getElementById('announcer').textContent));
      assert.equal(await page.locator('#announcer').getAttribute('aria-live'), 'polite');
      assert.match(await page.locator('#hdr-clock').getAttribute('class'), /clock--warning/);
      await page.getByRole('button', { name: 'Go to the first question', exact: true }).click();
      await checkScreen(page, 'written question');

      // Typing without a pause is saved along the way (at most about a second is at risk).
      const puts = [];
      const onRequest = (req) => { if (req.method() === 'PUT' && req.url().includes('/api/answers/w-001')) puts.push(req.postData()); };
      page.on('request', onRequest);
      const box = page.getByLabel('Your answer');
      await box.focus();
      await page.keyboard.type('The family needs a plan that everyone understands and agrees. ', { delay: 60 });
      await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
      page.off('request', onRequest);
      assert.ok(puts.length >= 2, `text was saved while typing, not only at the end (${puts.length} saves)`);
      assert.match(await page.locator('.wordcount').textContent(), /You have written 10 words\. Aim for 20 to 60\./);

      // The client cannot be reached for a moment: the page says so, keeps the text, retries.
      await page.route('**/api/answers/**', (route) => route.abort());
      await box.type('Safety comes first.');
      await page.locator('#save-status', { hasText: 'Not saved — retrying' }).waitFor();
      assert.match(await box.inputValue(), /Safety comes first\.$/);
      await page.unroute('**/api/answers/**');
      await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor({ timeout: 15000 });
      // Over all of this the time was announced once, not every second.
      const said = await page.evaluate(() => window.vigilAnnouncements);
      assert.deepEqual(said.filter((a) => /left in this section/.test(a)), ['5 minutes left in this section.'], `announcements: ${JSON.stringify(said)}`);

      // What the page said was saved is in the client: a reload shows it.
      await page.reload();
      await onScreen(page, 'Written assessment');
      assert.match(await page.getByLabel('Your answer').inputValue(), /agrees\. Safety comes first\.$/);
      await checkZoom(page, 'written question');

      // The client is killed (a crash, a power cut) and started again: a new window opens at the
      // same question, with the text, and a calm word about what happened.
      await client.proc.stop('SIGKILL');
      const again = await sitting.startClient(camera ? ['--camera-file', camera] : []);
      await page.goto(again.url);
      await onScreen(page, 'Written assessment');
      assert.match(await page.locator('.notice').textContent(), /Welcome back/);
      assert.match(await page.getByLabel('Your answer').inputValue(), /agrees\. Safety comes first\.$/);
      await checkScreen(page, 'written question after a restart');
    });

    await step('review and submit, with a confirmation; the receipt arrives and sync shows its progress', async () => {
      await page.getByRole('button', { name: 'Check your answers and submit', exact: true }).first().click();
      await page.waitForFunction(() => /Check your answers and submit/.test(document.activeElement.textContent));
      await checkScreen(page, 'final review');
      await page.getByRole('button', { name: 'Submit my assessment', exact: true }).click();
      await page.locator('dialog[open]').waitFor();
      await page.getByRole('button', { name: 'Yes, submit my assessment', exact: true }).click();
      await onScreen(page, 'Your assessment is submitted');
      await checkScreen(page, 'submitted');
      await checkZoom(page, 'submitted');
      const progress = page.locator('#sync-progress');
      assert.equal(await progress.getAttribute('aria-labelledby'), 'sync-progress-label');
      await page.locator('.receipt', { hasText: 'Received' }).waitFor({ timeout: 90000 });
      await page.locator('#sync-progress-text', { hasText: 'Everything has been sent.' }).waitFor({ timeout: 30000 });
      assert.equal(await progress.getAttribute('value'), '100');
      await checkScreen(page, 'receipt');
    });

    await step('the signed receipt verifies offline, with the client and the server stopped', async () => {
      await sitting.stop();
      const status = await sitting.client(['status']);
      const id = status.stdout.match(/session:\s+(\S+): .*receipt kept/)?.[1];
      assert.ok(id, status.stdout + status.stderr);
      const file = path.join(sitting.root, 'receipt.json');
      const saved = await sitting.client(['receipt', id, '--out', file]);
      assert.equal(saved.code, 0, saved.stdout + saved.stderr);
      const key = path.join(sitting.home, 'published', 'receipt-public.key');
      const verified = await sitting.client(['verify-receipt', file, '--key', key]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      // A receipt changed by one character no longer verifies.
      const forged = path.join(sitting.root, 'forged.json');
      fs.writeFileSync(forged, fs.readFileSync(file, 'utf8').replace(/"final_seq":\s*(\d+)/, (m, n) => `"final_seq":${Number(n) + 1}`));
      assert.notEqual(fs.readFileSync(forged, 'utf8'), fs.readFileSync(file, 'utf8'), 'the forgery changed nothing');
      assert.notEqual((await sitting.client(['verify-receipt', forged, '--key', key])).code, 0);
    });

    assert.deepEqual(errors, [], 'no script errors in the page');
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
});

test('when the time runs out the client submits by itself, keeps what was saved, and the page says so calmly', async () => {
  const stops = [];
  try {
    const content = journeyContent('ui-timeout');
    // One knowledge section of one minute: the one-minute warning is due at once, the time-out soon.
    content['assessment.json'].sections = [{ ...content['assessment.json'].sections[0], minutes: 1 }];
    content['assessment.json'].breaks = [];
    delete content['scenario-1.json'];
    delete content['written.json'];
    const { client, code } = await startSitting(content, stops);
    const browser = await launchBrowser();
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(client.url);
    await onScreen(page, 'Set up Vigil on this computer');
    await page.getByLabel('Enrolment code').fill(code);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('button', { name: 'Download my assessment', exact: true }).click();
    await onScreen(page, 'Check your computer');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByRole('button', { name: 'Start my assessment', exact: true }).click();
    await onScreen(page, 'Confirm who you are');
    await page.getByLabel('By a person instead').check();
    // There is no camera: the photos cannot be taken, and the page says so.
    await takePhotos(page);
    await page.getByRole('button', { name: 'Confirm and continue', exact: true }).click();
    await onScreen(page, 'Knowledge');
    await page.waitForFunction(() => /1 minute left in this section/.test(document.getElementById('announcer').textContent));
    await page.getByRole('button', { name: 'Go to the first question', exact: true }).click();
    await page.getByLabel('Visit the family').check();
    await page.locator('#save-status', { hasText: /^Saved$/ }).waitFor();
    // Nothing more from the candidate: the client ends the section and submits.
    await onScreen(page, 'Your assessment is submitted', 120000);
    assert.match(await page.locator('.notice').textContent(), /time ran out, so Vigil submitted your assessment for you/);
    await checkScreen(page, 'submitted after time-out');
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
});
