// The harness itself: chromium starts, axe finds a real violation on a bad page and none on a
// good one (so an accessibility check that always passed would be caught here).
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
