// tests/bench/run.sh client: the candidate client as a candidate meets it.
//  - save: an answer save from the page's HTTP request to its response, which the client sends
//    only after the answer is durable (fsync); single-choice and ~300-word written answers,
//    alternating, through the real page origin in chromium. p50 / p99.
//  - no-op: GET /api/state (what the page polls; no write) from the same page, one after every
//    save in the same loop, so the two are measured under the same conditions. What a save costs
//    beyond the no-op is the handler and the store; the no-op itself is the HTTP path.
//  - where a request's time goes, from the browser's Resource Timing: in the browser before the
//    request is sent (fetch() to requestStart), the client's answer (requestStart to
//    responseStart: the wire both ways, our listener, the handler and the store), and in the
//    browser after it (responseStart to the JavaScript having the body).
//  - first paint: from launching `vigil-client start` to the first contentful paint of the UI in
//    an already running browser (the browser's own start-up is the operating system's, not ours).
// Prints readable figures, then one JSON line: save_p50_ms, save_p99_ms, noop_p50_ms,
// noop_p99_ms, save_server_p50_ms, save_server_p99_ms, first_paint_ms, load_avg.
'use strict';
const os = require('node:os');
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
    // Time every save inside the page: request out to response in, each followed by a no-op
    // GET /api/state. Half are choices in the knowledge section, half ~300-word written answers
    // in the written section.
    const timeSaves = (n, kind) => page.evaluate(async ([count, k]) => {
      performance.setResourceTimingBufferSize(4 * count + 100);
      performance.clearResourceTimings();
      const section = await (await fetch('/api/section')).json();
      const item = section.items.find((i) => i.type === k);
      const sentence = 'The risk to the children is increasing because the pattern of incidents is escalating. ';
      const out = { save: [], noop: [] };
      const timed = async (what, url, init) => {
        const t0 = performance.now();
        const r = await fetch(url, init);
        await r.json();
        const t1 = performance.now();
        if (!r.ok) throw new Error(`${what} answered ${r.status}`);
        out[what].push({ url: new URL(r.url).href, t0, t1 });
      };
      for (let i = 0; i < count; i += 1) {
        const value = k === 'written' ? { text: `${sentence.repeat(22)} (draft ${i})` } : { choice: i % item.options.length };
        await timed('save', `/api/answers/${item.id}?n=${k}${i}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value }) });
        await timed('noop', `/api/state?n=${k}${i}`);
      }
      // Resource Timing, matched by address (each request has its own).
      const entries = new Map(performance.getEntriesByType('resource').map((e) => [e.name, e]));
      const phases = (list) => list.map(({ url, t0, t1 }) => {
        const e = entries.get(url);
        return { total: t1 - t0, before: e ? e.requestStart - t0 : NaN, server: e ? e.responseStart - e.requestStart : NaN, after: e ? t1 - e.responseStart : NaN };
      });
      return { save: phases(out.save), noop: phases(out.noop) };
    }, [n, kind]);
    const choice = await timeSaves(Math.ceil(SAVES / 2), 'single');
    // On to the written section: finish each section (skipping the break).
    for (let guard = 0; guard < 8; guard += 1) {
      const st = await page.evaluate(async () => (await (await fetch('/api/state')).json()).runner);
      const section = await page.evaluate(async () => (await fetch('/api/section')).json().catch(() => ({})));
      if (st.phase === 'section' && section.kind === 'written') break;
      if (st.phase === 'break') await call('POST', '/api/break/end', {});
      else await call('POST', '/api/section/finish', {});
    }
    const written = await timeSaves(Math.floor(SAVES / 2), 'written');
    const stats = (list, key = 'total') => {
      const sorted = list.map((x) => x[key]).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] };
    };
    const line = (name, list) => {
      const t = stats(list);
      console.log(`  ${name}: ${list.length}: p50 ${t.p50.toFixed(2)} ms, p99 ${t.p99.toFixed(2)} ms, max ${t.max.toFixed(2)} ms`);
    };
    line('choice saves', choice.save);
    line('written saves (~2 KB)', written.save);
    const saves = [...choice.save, ...written.save];
    const noops = [...choice.noop, ...written.noop];
    const save = stats(saves);
    const noop = stats(noops);
    console.log(`answer saves (request to durable response): ${saves.length}: p50 ${save.p50.toFixed(2)} ms, p99 ${save.p99.toFixed(2)} ms, max ${save.max.toFixed(2)} ms`);
    console.log(`no-op GET /api/state, one after each save: ${noops.length}: p50 ${noop.p50.toFixed(2)} ms, p99 ${noop.p99.toFixed(2)} ms, max ${noop.max.toFixed(2)} ms`);
    for (const [name, list] of [['save', saves], ['no-op', noops]]) {
      const b = stats(list, 'before'); const sv = stats(list, 'server'); const a = stats(list, 'after');
      console.log(`  ${name} phases, p50 / p99 ms: browser before sending ${b.p50.toFixed(2)} / ${b.p99.toFixed(2)}, `
        + `client's answer (wire + listener + handler) ${sv.p50.toFixed(2)} / ${sv.p99.toFixed(2)}, `
        + `browser after ${a.p50.toFixed(2)} / ${a.p99.toFixed(2)}`);
    }
    const saveServer = stats(saves, 'server');
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
    const load = os.loadavg().map((x) => +x.toFixed(2));
    console.log(`load average at the end: ${load.join(' ')}`);
    const ms = (x) => +x.toFixed(3);
    console.log(JSON.stringify({
      save_p50_ms: ms(save.p50), save_p99_ms: ms(save.p99), noop_p50_ms: ms(noop.p50), noop_p99_ms: ms(noop.p99),
      save_server_p50_ms: ms(saveServer.p50), save_server_p99_ms: ms(saveServer.p99),
      first_paint_ms: Math.round(firstPaint), saves: SAVES, launches: LAUNCHES, load_avg: load,
    }));
  } finally {
    await browser.close();
    await sitting.stop();
  }
})().catch((e) => { console.error(e); process.exit(1); });
