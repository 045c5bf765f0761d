// Shared helpers for Vigil's browser tests: a real Debian chromium driven by playwright-core,
// axe-core on every page, and the project's real executables as child processes.
//
// Each *.test.js file is one ctest test (tests/CMakeLists.txt, vigil_browser_test) and runs under
// `node --test`. The executables come from the environment ctest sets: VIGIL_CLIENT_EXE,
// VIGIL_SERVER_EXE, VIGIL_SOURCE_DIR, VIGIL_BINARY_DIR.
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The one list of axe-core rule tags every browser test checks: WCAG 2.0, 2.1 and 2.2 A and AA
// (2.2 AA adds target-size, SC 2.5.8; axe has no separate wcag22a tag) plus axe's best practices.
// Rules off by default in axe, such as target-size, run when their tag is named here.
const AXE_TAGS = Object.freeze(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']);

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run this test through ctest)`);
  return v;
}

// A headless chromium. --no-sandbox only when running as root (CI containers), where chromium
// refuses to start with its sandbox.
async function launchBrowser() {
  const args = [];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({
    executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
  });
}

// Runs axe-core (the AXE_TAGS rules: WCAG 2.0/2.1/2.2 A and AA plus best practices) on the page
// as it is now and fails on any serious or critical violation, naming each rule and element.
async function checkAccessibility(page, label) {
  // Evaluated through the DevTools protocol rather than added as a <script>: Vigil's pages send
  // `Content-Security-Policy: default-src 'self'`, which rightly blocks an injected inline script.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: tags } }), [...AXE_TAGS]);
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const detail = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.equal(bad.length, 0, `axe on "${label}": ${bad.length} serious/critical violation(s)\n  ${detail.join('\n  ')}`);
  return result;
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Starts a child process and collects its output. waitFor(regex, ms) resolves with the first
// match on stdout or stderr, or rejects with everything the process printed.
function startProcess(exe, args, options = {}) {
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const waiters = [];
  const onData = (chunk) => {
    output += chunk.toString();
    for (const w of waiters.slice()) {
      const m = output.match(w.re);
      if (m) { waiters.splice(waiters.indexOf(w), 1); clearTimeout(w.timer); w.resolve(m); }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => output,
    waitFor(re, ms = 20000) {
      const m = output.match(re);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const w = { re, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out after ${ms} ms waiting for ${re} from ${path.basename(exe)}; output:\n${output}`));
        }, ms);
        waiters.push(w);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

// Runs a command to completion; resolves with {code, stdout, stderr}.
function run(exe, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

module.exports = { env, launchBrowser, AXE_TAGS, checkAccessibility, tempDir, startProcess, run };
