// The harness itself: chromium starts, axe finds a real violation on a bad page and none on a
// good one (so an accessibility check that always passed would be caught here), and the WCAG 2.2
// AA rules really run.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser, checkAccessibility } = require('./harness');

test('axe reports a missing label as a violation and passes a labelled form', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>Bad</title></head><body><main><h1>Form</h1><input type="text"></main></body></html>');
    await assert.rejects(checkAccessibility(page, 'unlabelled input'), /label/);
    await page.setContent('<!doctype html><html lang="en"><head><title>Good</title></head><body><main><h1>Form</h1><label for="a">Name</label><input id="a" type="text"></main></body></html>');
    await checkAccessibility(page, 'labelled input');
  } finally {
    await browser.close();
  }
});

// WCAG 2.2 SC 2.5.8 (axe's target-size, tagged wcag22aa and off unless that tag is asked for):
// two 12x12 px buttons side by side fail; the same buttons at 24x24 px pass.
test('axe checks WCAG 2.2 AA: a too-small pointer target is a violation', async () => {
  const targets = (size) => `<!doctype html><html lang="en"><head><title>Targets</title>
    <style>button { width: ${size}px; height: ${size}px; padding: 0; margin: 0; border: 0; }</style></head>
    <body><main><h1>Targets</h1><button type="button">a</button><button type="button">b</button></main></body></html>`;
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setContent(targets(12));
    await assert.rejects(checkAccessibility(page, 'small targets'), /target-size/);
    await page.setContent(targets(24));
    await checkAccessibility(page, '24 px targets');
  } finally {
    await browser.close();
  }
});
