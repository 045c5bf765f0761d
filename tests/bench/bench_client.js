// tests/bench/run.sh client: the candidate client as a candidate meets it.
//  - save: an answer save from the page's HTTP request to its response, which the client sends
//    only after the answer is durable (fsync); single-choice and ~300-word written answers,
//    alternating, through the real page origin in chromium. p50 / p99.
//  - first paint: from launching `vigil-client start` to the first contentful paint of the UI in
//    an already running browser (the browser's own start-up is the operating system's, not ours).
// Prints readable figures, then one JSON line: save_p50_ms, save_p99_ms, first_paint_ms.
'use strict';
const path = require('node:path');
const { launchBrowser } = require('../browser/lib/harness');
const { prepareSitting } = require('../browser/lib/sitting');

const SAVES = Number(process.argv[2] || 1000);
const LAUNCHES = Number(process.argv[3] || 10);

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

(async () => {
  const sitting = await prepareSitting();
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    let { proc, url } = await sitting.startClient();
    await page.goto(url);
    const call = (m, p, b) => page.evaluate(async ([mm, pp, bb]) => {
      const r = await fetch(pp, { method: mm, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(bb) });
      return r.status;
    }, [m, p, b]);
    for (const [p, b] of [['/api/download', {}], ['/api/unlock', {}], ['/api/identity', {}], ['/api/identity', { consent: 'human' }]]) {
      const s = await call('POST', p, b);
      if (s !== 200) throw new Error(`${p} answered ${s}`);
    }
    // Time every save inside the page: request out to response in. Half are choices in the
    // knowledge section, half ~300-word written answers in the written section.
    const timeSaves = (n, kind) => page.evaluate(async ([count, k]) => {
      const section = await (await fetch('/api/section')).json();
      const item = section.items.find((i) => i.type === k);
      const sentence = 'The risk to the children is increasing because the pattern of incidents is escalating. ';
      const out = [];
      for (let i = 0; i < count; i += 1) {
        const value = k === 'written' ? { text: `${sentence.repeat(22)} (draft ${i})` } : { choice: i % item.options.length };
        const t0 = performance.now();
        const r = await fetch(`/api/answers/${item.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value }) });
        await r.json();
        out.push(performance.now() - t0);
        if (!r.ok) throw new Error(`save ${i} answered ${r.status}`);
      }
      return out;
    }, [n, kind]);
    const choiceTimes = await timeSaves(Math.ceil(SAVES / 2), 'single');
    // On to the written section: finish each section (skipping the break).
    for (let guard = 0; guard < 8; guard += 1) {
      const st = await page.evaluate(async () => (await (await fetch('/api/state')).json()).runner);
      const section = await page.evaluate(async () => (await fetch('/api/section')).json().catch(() => ({})));
      if (st.phase === 'section' && section.kind === 'written') break;
      if (st.phase === 'break') await call('POST', '/api/break/end', {});
      else await call('POST', '/api/section/finish', {});
    }
    const writtenTimes = await timeSaves(Math.floor(SAVES / 2), 'written');
    const summary = (name, t) => {
      const sorted = [...t].sort((a, b) => a - b);
      console.log(`  ${name}: ${t.length} saves, p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms`);
    };
    summary('choices', choiceTimes);
    summary('written (~2 KB)', writtenTimes);
    const times = [...choiceTimes, ...writtenTimes];
    times.sort((a, b) => a - b);
    const p50 = quantile(times, 0.5);
    const p99 = quantile(times, 0.99);
    console.log(`answer saves (request to durable response): ${SAVES}: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms`);
    await proc.stop('SIGTERM');

    const paints = [];
    for (let i = 0; i < LAUNCHES; i += 1) {
      const t0 = Date.now();
      ({ proc, url } = await sitting.startClient());
      const p = await (await browser.newContext()).newPage();
      await p.goto(url);
      const fcp = await p.evaluate(() => new Promise((resolve) => {
        const done = () => {
          const e = performance.getEntriesByName('first-contentful-paint')[0];
          if (e) { resolve(performance.timeOrigin + e.startTime); return true; }
          return false;
        };
        if (done()) return;
        new PerformanceObserver(() => done()).observe({ type: 'paint', buffered: true });
      }));
      paints.push(fcp - t0);
      await p.context().close();
      await proc.stop('SIGTERM');
    }
    paints.sort((a, b) => a - b);
    const firstPaint = quantile(paints, 0.5);
    console.log(`launch to first paint: ${LAUNCHES} launches: median ${firstPaint.toFixed(0)} ms (min ${paints[0].toFixed(0)}, max ${paints[paints.length - 1].toFixed(0)})`);
    console.log(JSON.stringify({ save_p50_ms: +p50.toFixed(3), save_p99_ms: +p99.toFixed(3), first_paint_ms: Math.round(firstPaint), saves: SAVES, launches: LAUNCHES }));
  } finally {
    await browser.close();
    await sitting.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
