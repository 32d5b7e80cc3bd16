// Browser checks of the web console against a hub loaded with `hubctl demo`, in headless
// Chromium driven by playwright-core (from console/node_modules). Each check prints PASS or FAIL
// and leaves a full-page screenshot in $HUB_BROWSER_ARTIFACTS; the last line is
// "N passed, M failed" and the exit status is non-zero when anything failed.
//
//   HUB_URL                 the hub (the console is at $HUB_URL/console/)
//   HUB_BROWSER_ARTIFACTS   where screenshots go (default: ./browser-artifacts)
//   HUB_DEMO_TOKENS         DATA_DIR/demo-tokens.json, to make a fresh data request (optional)
//   HUB_ADMIN_TOKEN         the hub's bootstrap hub_admin token, to add a hub_admin who signs in
//                           (the agency management checks need it)
//   HUB_CHROMIUM            the browser (default /usr/bin/chromium)
// Started by tests/browser/console.sh, which runs a hub for it.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../../console/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const hubUrl = (process.env.HUB_URL ?? '').replace(/\/$/, '');
if (!hubUrl) {
  console.error('console.mjs: set HUB_URL');
  process.exit(2);
}
const artifacts = path.resolve(process.env.HUB_BROWSER_ARTIFACTS || 'browser-artifacts');
mkdirSync(artifacts, { recursive: true });
const consoleUrl = `${hubUrl}/console/`;
const PASSWORD = 'hub-demo-2026';
const TIMEOUT = 15_000;

// The demo's agencies (hubctl demo): code → the prefix of its people's names.
const DEMO_PREFIX = {
  '1144010024CNN5F90B': 'gzga',
  '114401009P0Y2GG12L': 'gzsc',
  '11440100FAJ0T55W64': 'gzrs',
  '11440100TN5YUXTM3J': 'gzgh',
  '114401000UUY8XPWXH': 'gztj',
  '11440100XYDWCM5T1B': 'gzsw',
  '11440000B94HP7C595': 'gdgz',
};

// --- bookkeeping ------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
const started = Date.now();

/** Runs one named check; `fn` throws to fail. A screenshot of `page` is kept either way. */
async function check(name, page, fn) {
  const shot = path.join(artifacts, `${String(passed + failed + 1).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}.png`);
  let why = null;
  try {
    await fn();
  } catch (error) {
    why = (error?.message ?? String(error)).split('\n')[0];
    // Where in this file it failed: a timeout's message alone does not say which wait.
    const at = String(error?.stack ?? '').split('\n').find((l) => l.includes('console.mjs:'));
    if (at) why += ` (${at.trim().replace(/^at\s+/, '').replace(/^.*\//, '')})`;
  }
  try {
    await page.screenshot({ path: shot, fullPage: true, timeout: 10_000 });
  } catch {
    // a page that cannot be captured still counts as checked
  }
  if (why === null) {
    passed++;
    console.log(`PASS  ${name}`);
  } else {
    failed++;
    console.log(`FAIL  ${name}: ${why}`);
  }
  return why === null;
}

/**
 * A screenshot for docs/console.md, of the window as a person sees it at this step, kept as
 * $HUB_BROWSER_ARTIFACTS/docs/NAME.png; scripts/console-screenshots copies them into docs/images.
 */
async function docShot(page, name) {
  mkdirSync(path.join(artifacts, 'docs'), { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'docs', `console-${name}.png`), timeout: 10_000 });
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// --- the API, for set-up and cross-checks -------------------------------------------------------
async function apiSession(request, name) {
  const r = await request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password: PASSWORD } });
  expect(r.ok(), `POST /api/v1/sessions as ${name}: ${r.status()} ${await r.text()}`);
  return (await r.json()).token;
}

async function apiGet(request, token, pathAndQuery) {
  const r = await request.get(`${hubUrl}/api/v1${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(r.ok(), `GET ${pathAndQuery}: ${r.status()} ${(await r.text()).slice(0, 200)}`);
  return r.json();
}

async function apiPost(request, token, pathAndQuery, data) {
  const r = await request.post(`${hubUrl}/api/v1${pathAndQuery}`, { headers: { Authorization: `Bearer ${token}` }, data });
  expect(r.ok(), `POST ${pathAndQuery}: ${r.status()} ${(await r.text()).slice(0, 200)}`);
  return r.json();
}

// --- the browser --------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.HUB_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** A fresh context (its own sessionStorage and localStorage) and page; URLs it requests are kept. */
async function newPage() {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.requestedUrls = [];
  page.on('request', (r) => page.requestedUrls.push(r.url()));
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(e.message));
  // Whatever Content-Security-Policy the hub sends, the console must live within it.
  page.on('console', (m) => m.text().includes('Content Security Policy') && page.consoleErrors.push(m.text()));
  return { context, page };
}

async function signIn(page, name) {
  await page.goto(consoleUrl);
  await page.fill('#signin-name', name);
  await page.fill('#signin-password', PASSWORD);
  await page.click('#signin-submit');
  await page.waitForSelector('.sidenav a');
}

async function navItems(page) {
  return page.$$eval('.sidenav a', (links) => links.map((a) => a.dataset.route));
}

/** Opens a page by its route and waits until it has loaded (data-state ready, or says why not). */
async function open(page, route) {
  await page.goto(`${consoleUrl}#/${route}`);
  const name = route.split('?')[0];
  await page.waitForSelector(`.page[data-page="${name}"]:not([data-state="loading"])`);
  const state = await page.getAttribute(`.page[data-page="${name}"]`, 'data-state');
  if (state !== 'ready') {
    const error = await page.$eval(`.page[data-page="${name}"]`, (el) => el.querySelector('.message.error')?.textContent ?? '');
    throw new Error(`#/${route} is ${state}${error ? `: ${error}` : ''}`);
  }
}

async function downloadOf(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(file) };
}

// === a) the coordinator ===========================================================================
{
  const { context, page } = await newPage();
  await check('coordinator signs in; the overview draws its three charts with data', page, async () => {
    await signIn(page, 'coordinator');
    expect((await page.$eval('html', (el) => el.lang)) === 'zh-CN', 'html lang is not zh-CN');
    // The coordinator lands on its to-do list; the overview is the next page.
    await page.waitForSelector('.page[data-page="todo"]:not([data-state="loading"])');
    await page.click('.sidenav a[data-route="overview"]');
    await page.waitForSelector('.page[data-page="overview"]:not([data-state="loading"])');
    const charts = await page.$$eval('.chart[data-chart]', (els) =>
      els.map((el) => ({ name: el.dataset.chart, points: Number(el.dataset.points ?? 0), canvas: !!el.querySelector('canvas') })),
    );
    const errors = await page.$$eval('.page .message.error', (els) => els.map((e) => e.textContent));
    expect(charts.length === 3, `${charts.length} charts drawn${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`);
    for (const c of charts) expect(c.canvas && c.points > 0, `chart ${c.name}: canvas ${c.canvas}, ${c.points} data points`);
    // Each chart's tooltip, under the CSP (no inline style): drawn, and no violation reported.
    for (const c of charts) {
      const box = await page.locator(`.chart[data-chart="${c.name}"]`).boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      await page.waitForTimeout(300);
    }
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });

  await check('coordinator: the report lists every agency by rank, with the service columns, and downloads CSV and XLSX', page, async () => {
    await open(page, 'report');
    await docShot(page, 'report');
    const ranks = await page.$$eval('.report-table tbody tr[data-agency] td:first-child', (tds) => tds.map((td) => Number(td.textContent)));
    expect(ranks.length > 0, 'no agency rows');
    expect(ranks.every((r, i) => r === i + 1), `ranks not 1..n in order: ${ranks.slice(0, 10).join(',')}`);
    const header = await page.$eval('.report-table thead', (el) => el.textContent);
    expect(header.includes('排名') && header.includes('机构名称'), `headers not in Chinese: ${header.slice(0, 80)}`);
    expect(header.includes('接口服务调用次数') && header.includes('接口服务可用率'), 'no service columns in the report');
    expect(header.includes('收到需求数') && header.includes('被提请协调数') && header.includes('无数据资源数'), 'no demand, escalation or empty-resource columns');
    // The totals under the ranking are the hub's: members connected, and each sum.
    const coordinator = await apiSession(page.context().request, 'coordinator');
    const period = `?from=${await page.inputValue('#report-from')}&to=${await page.inputValue('#report-to')}`;
    const totals = (await apiGet(page.context().request, coordinator, `/reports/sharing-status${period}`)).totals;
    const connected = await page.textContent('#report-connected');
    expect(connected.includes(`${totals.members_connected} / ${totals.agencies}`), `members connected: ${connected}, the hub says ${totals.members_connected} / ${totals.agencies}`);
    const served = Number((await page.textContent('#report-totals dd[data-total="requests_served"]')).replace(/[^0-9]/g, ''));
    expect(served === totals.requests_served && served > 0, `requests served in total: ${served}, the hub says ${totals.requests_served}`);
    // Market regulation's enterprise query was called by the demo: a percentage, not a dash.
    const availability = await page.$eval('.report-table tr[data-agency="114401009P0Y2GG12L"] td:last-child', (td) => td.textContent.trim());
    expect(/^\d+(\.\d+)?%$/.test(availability), `market regulation's service availability: ${availability}`);

    const csv = await downloadOf(page, '#download-csv');
    expect(/^sharing-status-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/.test(csv.name), `CSV file name ${csv.name}`);
    expect(csv.bytes[0] === 0xef && csv.bytes[1] === 0xbb && csv.bytes[2] === 0xbf, 'the CSV does not start with the UTF-8 BOM');
    expect(csv.bytes.toString('utf8').includes('广州市'), 'the CSV has no 广州市 agency');
    const xlsx = await downloadOf(page, '#download-xlsx');
    expect(xlsx.name.endsWith('.xlsx'), `XLSX file name ${xlsx.name}`);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK', 'the XLSX does not start with PK');
    // Below it, the data-quality report of the period: a row per published dataset.
    await page.waitForSelector('#quality-report .quality-report tbody tr[data-resource]', { timeout: 10000 });
    const datasets = await page.$$eval('#quality-report tbody tr[data-resource]', (trs) => trs.length);
    const hub = (await apiGet(page.context().request, coordinator, `/reports/data-quality${period}`)).rows.length;
    expect(datasets === hub && hub > 0, `data-quality rows: ${datasets}, the hub says ${hub}`);
    const qualityCsv = await downloadOf(page, '#quality-download-csv');
    expect(/^data-quality-.*\.csv$/.test(qualityCsv.name), `data-quality CSV file name ${qualityCsv.name}`);
    expect(qualityCsv.bytes.toString('utf8').includes('企业用电量'), 'the data-quality CSV has no 企业用电量');
  });

  await check("coordinator: a catalog search for '企业' finds a resource, whose items open", page, async () => {
    await open(page, 'catalog');
    await page.fill('#catalog-q', '企业');
    await page.press('#catalog-q', 'Enter');
    await page.waitForFunction(() => location.hash.includes('q='));
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"]');
    const names = await page.$$eval('#catalog-table tbody tr[data-code] td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
    expect(names.length > 0, 'no resource found');
    expect(names.every((n) => n.includes('企业')), `a result without 企业: ${names.join(', ')}`);
    await page.click('#catalog-table tbody tr[data-code]');
    await page.waitForSelector('#catalog-table .detail-row:not([hidden]) .resource-details');
  });

  await check("coordinator: 企业登记信息's data quality shows a score, completeness and validity", page, async () => {
    await open(page, 'catalog?q=企业登记信息');
    await page.click('#catalog-table tbody tr[data-code]');
    const score = await page.getAttribute('#catalog-table .detail-row:not([hidden]) .quality', 'data-score', { timeout: 10000 });
    expect(Number(score) > 0 && Number(score) <= 100, `quality score ${score}`);
    const items = await page.$$eval('#catalog-table .detail-row:not([hidden]) .quality-completeness tbody tr', (trs) => trs.length);
    expect(items > 0, 'no completeness per item');
    const rules = await page.$$eval('#catalog-table .detail-row:not([hidden]) .quality-validity tbody tr', (trs) => trs.length);
    expect(rules > 0, 'no validity per rule (the demo resource has rules)');
  });

  await check('coordinator: the alerts page loads, open and acknowledged; an open alert is acknowledged', page, async () => {
    // Early warning opens the demo's alerts on its next round (console.sh makes that every
    // second): wait a little for one, and acknowledge it when there is one.
    const coordinator = await apiSession(context.request, 'coordinator');
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      if ((await apiGet(context.request, coordinator, '/alerts?status=open&limit=1')).items.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await open(page, 'alerts');
    const acked = await page.getAttribute('#alerts-table tr[data-id]', 'data-id', { timeout: 1000 }).catch(() => null);
    if (!acked) console.log('      (no open alert to acknowledge)');
    if (acked) {
      await page.click(`#alerts-table tr[data-id="${acked}"] button[data-action="ack"]`);
      await page.waitForSelector('.page[data-page="alerts"][data-state="ready"] .message.success');
      expect(!(await page.$(`#alerts-table tr[data-id="${acked}"]`)), 'the acknowledged alert is still listed as open');
    }
    await page.selectOption('#alerts-status', 'acknowledged');
    await page.waitForFunction(() => location.hash.includes('status=acknowledged'));
    await page.waitForSelector('.page[data-page="alerts"]:not([data-state="loading"])');
    expect((await page.getAttribute('.page[data-page="alerts"]', 'data-state')) === 'ready', 'acknowledged alerts did not load');
    if (acked) expect(await page.$(`#alerts-table tr[data-id="${acked}"]`), 'the acknowledged alert is not listed as acknowledged');
  });

  await check('coordinator: the ledger page loads; no inbox in the navigation; no token in any URL', page, async () => {
    await open(page, 'ledger');
    await page.waitForSelector('#ledger-request-id');
    const nav = await navItems(page);
    expect(!nav.includes('inbox'), `nav: ${nav.join(',')}`);
    expect(['overview', 'report', 'catalog', 'alerts', 'ledger'].every((p) => nav.includes(p)), `nav: ${nav.join(',')}`);
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('hub.session'))?.token);
    expect(token, 'no token in sessionStorage');
    const leaked = page.requestedUrls.filter((u) => u.includes(token));
    expect(!leaked.length, `the token is in a URL: ${leaked[0]}`);
    expect(!(await page.evaluate(() => Object.values(localStorage).join(' '))).includes(token), 'the token is in localStorage');
    expect(!page.consoleErrors.length, `${page.consoleErrors.length} uncaught errors or CSP violations, the first: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });

  // === b) the language switch ====================================================================
  await check('the language switches to English and back, and is remembered', page, async () => {
    await open(page, 'catalog');
    const heading = () => page.textContent('.page h1');
    const zh = await heading();
    expect(/[\u4e00-\u9fff]/.test(zh), `the heading is not Chinese: ${zh}`);
    await page.selectOption('#lang-select', 'en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"]');
    const en = await heading();
    expect(en === 'Resource catalog', `the English heading is ${en}`);
    expect((await page.textContent('#sign-out')) === 'Sign out', 'the header is not English');
    await page.reload();
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"]');
    expect((await heading()) === en, 'English was not remembered after a reload');
    await page.selectOption('#lang-select', 'zh');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"]');
    expect((await heading()) === zh, `back in Chinese the heading is ${await heading()}`);
  });
  await context.close();
}

// === c) the provider's data officer approves a pending application ================================
{
  const { context, page } = await newPage();
  await check("the provider's data officer approves a pending application in the inbox", page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const pending = (await apiGet(context.request, coordinator, '/applications?status=pending')).items;
    const app = pending.find((a) => DEMO_PREFIX[a.provider_code]);
    expect(app, `no pending demo application (${pending.length} pending)`);
    await signIn(page, `${DEMO_PREFIX[app.provider_code]}-officer`);
    const nav = await navItems(page);
    expect(nav.join(',') === 'todo,catalog,computations,inbox,applications,grants,objections,demands,escalations,returns,indicators,ledger,account', `data officer's nav: ${nav.join(',')}`);
    await open(page, 'inbox');
    const row = `#inbox-table tr[data-id="${app.id}"]`;
    await page.waitForSelector(row);

    // A rejection without an opinion is stopped in the form, and nothing is sent.
    await page.click(`${row} button[data-action="reject"]`);
    await page.click('.decision-form button[data-confirm="reject"]');
    await page.waitForSelector('.decision-form .message.error');
    await page.click('.decision-form button.btn-quiet');

    await page.click(`${row} button[data-action="approve"]`);
    await page.fill(`#opinion-${app.id}`, '同意共享（浏览器测试）');
    await docShot(page, 'decide');
    await page.click('.decision-form button[data-confirm="approve"]');
    await page.waitForSelector('.page[data-page="inbox"][data-state="ready"] .message.success');
    expect(!(await page.$(row)), 'the application is still in the pending list');
    const after = (await apiGet(context.request, coordinator, `/applications?status=approved&limit=1000`)).items;
    expect(after.some((a) => a.id === app.id), 'the hub does not list the application as approved');
  });
  await context.close();
}

// === d) an operator sees only what an operator may ================================================
{
  const { context, page } = await newPage();
  await check('an agency operator: no report, overview or alerts; #/report says no access', page, async () => {
    await signIn(page, 'gzga-operator');
    const nav = await navItems(page);
    expect(nav.join(',') === 'todo,catalog,records,computations,objections,ledger,account', `operator's nav: ${nav.join(',')}`);
    await page.goto(`${consoleUrl}#/report`);
    await page.waitForSelector('.page[data-page="report"][data-state="no-access"]');
    expect(!(await page.$('.report-table')), 'the report table is shown');
  });
  await check('a revoked or expired token sends the user back to sign-in; sign-out clears the session', page, async () => {
    const forge = () => page.evaluate(() => sessionStorage.setItem('hub.session', JSON.stringify({ token: 'hub_not_a_real_token' })));
    // While signed in (the next request answers 401), and when the console starts.
    await forge();
    await page.goto(`${consoleUrl}#/catalog`);
    await page.waitForSelector('#signin-form .message.warning');
    await forge();
    await page.reload();
    await page.waitForSelector('#signin-form .message.warning');
    await signIn(page, 'gzga-operator');
    await page.click('#sign-out');
    await page.waitForSelector('#signin-form');
    expect((await page.evaluate(() => sessionStorage.getItem('hub.session'))) === null, 'the session is still stored');
  });
  await context.close();
}

// === d2) an agency's CDO reads its own agency's alerts, and acknowledges none =====================
{
  const { context, page } = await newPage();
  await check("an agency CDO: its agency's alerts in the navigation, read-only, no other agency's", page, async () => {
    // Power supply's grant on the credit ratings ends in ten days: grant_expiring, against it.
    const cdo = await apiSession(context.request, 'gdgz-cdo');
    let items = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      items = (await apiGet(context.request, cdo, '/alerts?rule=grant_expiring')).items;
      if (items.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(items.length === 1, `power supply's grant_expiring alerts: ${items.length}`);
    const all = (await apiGet(context.request, cdo, '/alerts?limit=100')).items;
    expect(all.every((a) => a.agency_code === '11440000B94HP7C595'), 'another agency\'s alert is listed');
    await signIn(page, 'gdgz-cdo');
    const nav = await navItems(page);
    expect(nav.includes('alerts'), `CDO's nav: ${nav.join(',')}`);
    await open(page, 'alerts');
    await page.selectOption('#alerts-status', items[0].status);
    await page.waitForSelector(`#alerts-table tr[data-id="${items[0].id}"]`);
    expect(!(await page.$('#alerts-table button[data-action="ack"]')), 'a CDO is offered to acknowledge');
  });
  await context.close();
}

// === e) a data request's ledger entry, verified in the browser ====================================
{
  const { context, page } = await newPage();
  await check("a data request's ledger entry passes every check in the browser", page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    let requestId = null;
    let index = null;
    // A fresh data request when the demo's system tokens are at hand (allowed or refused, it is
    // an entry either way); else the first entry of the ledger.
    if (process.env.HUB_DEMO_TOKENS) {
      const tokens = JSON.parse(readFileSync(process.env.HUB_DEMO_TOKENS, 'utf8'));
      const registration = (await apiGet(context.request, coordinator, `/resources?provider=114401009P0Y2GG12L&q=${encodeURIComponent('企业登记')}`)).items[0];
      expect(registration && tokens['gzsw-system'], 'no registration resource or tax system token in the demo');
      requestId = `console-e2e-${Date.now()}`;
      const r = await context.request.get(`${hubUrl}/api/v1/resources/${registration.code}/records/91440105JYM6HXA3HX`, {
        headers: { Authorization: `Bearer ${tokens['gzsw-system']}`, 'X-Purpose': 'console-e2e', 'X-Request-Id': requestId },
      });
      index = Number(r.headers()['x-ledger-index']);
      expect(Number.isInteger(index), `the data request (status ${r.status()}) has no X-Ledger-Index`);
    } else {
      const entry = (await apiGet(context.request, coordinator, '/ledger/entries?limit=1')).items[0];
      expect(entry, 'the ledger is empty');
      ({ request_id: requestId, index } = entry);
    }
    // Covered by a signed checkpoint within 2 s of its append (API.md); allow a little slack.
    const deadline = Date.now() + 3000;
    for (;;) {
      const r = await context.request.get(`${hubUrl}/api/v1/ledger/checkpoint`, { headers: { Authorization: `Bearer ${coordinator}` } });
      if (Number((await r.text()).split('\n')[1]) > index) break;
      expect(Date.now() < deadline, `entry ${index} not covered by a checkpoint within 3 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await signIn(page, 'coordinator');
    await open(page, 'ledger');
    await page.fill('#ledger-request-id', requestId);
    await page.click('#ledger-lookup');
    await page.waitForSelector('.page[data-page="ledger"]:not([data-state="loading"]) .ledger-result');
    const checks = await page.$$eval('.checks li[data-check]', (lis) => lis.map((li) => `${li.dataset.check}=${li.dataset.ok}`));
    expect(checks.join(',') === 'leaf_hash=true,leaf_fields=true,signature=true,covered=true,inclusion=true', `checks: ${checks.join(',')}`);
    expect((await page.getAttribute('.ledger-result', 'data-verdict')) === 'passed', 'the verdict is not "passed"');
    const shownId = await page.textContent('.entry-fields dd[data-field="request_id"]');
    expect(shownId.includes(requestId), `the entry shown is ${shownId}`);
  });
  await context.close();
}

// === f) interface services (接口服务) ================================================================
// The demo registers two services served by `hubctl demo-upstream` (console.sh starts it): market
// regulation's enterprise query, granted to tax, and public security's population check, granted
// to human resources.
const ENTERPRISE_SERVICE = '企业基本信息查询';
const POPULATION_SERVICE = '人口基本信息核验';
const DEMO_USCC = '91440106MA59C3T8KD';

/** Opens the catalog filtered to services and expands the row of the service called `name`. */
async function openService(page, name) {
  await open(page, 'catalog?kind=service');
  const kinds = await page.$$eval('#catalog-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.kind));
  expect(kinds.length > 0, 'the kind filter "service" lists no resource');
  expect(kinds.every((k) => k === 'service'), `the kind filter lets through: ${kinds.join(',')}`);
  const row = page.locator('#catalog-table tbody tr[data-code]', { hasText: name });
  expect((await row.count()) === 1, `${await row.count()} rows named ${name}`);
  await row.click();
  const code = await row.getAttribute('data-code');
  await page.waitForSelector('#catalog-table .detail-row:not([hidden]) .service-details');
  return code;
}

{
  const { context, page } = await newPage();
  await check("coordinator: the catalog's kind filter shows services, with operations and health", page, async () => {
    await signIn(page, 'coordinator');
    await open(page, 'catalog');
    const options = await page.$$eval('#catalog-kind option', (os) => os.map((o) => o.textContent));
    expect(['数据集', '接口服务'].every((k) => options.includes(k)), `kind options: ${options.join(',')}`);
    await page.selectOption('#catalog-kind', 'service');
    await page.waitForFunction(() => location.hash.includes('kind=service'));
    await openService(page, ENTERPRISE_SERVICE);
    const op = '.detail-row:not([hidden]) .service-operation[data-operation="enterprise"]';
    await page.waitForSelector(op);
    const head = await page.textContent(`${op} .operation-head`);
    expect(head.includes('GET') && head.includes('/enterprises/{uscc}'), `operation head: ${head}`);
    const params = await page.$$eval(`${op} .service-params tbody tr td:first-child code`, (cs) => cs.map((c) => c.textContent));
    expect(params.join(',') === 'uscc', `params: ${params.join(',')}`);
    const items = await page.$$eval(`${op} .service-response tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
    const legal = items.find((r) => r[0] === 'legal_representative');
    expect(legal && legal[3] === '敏感' && legal[4] === '姓名', `legal_representative row: ${legal?.join(' | ')}`);
    expect(!(await page.$('.detail-row:not([hidden]) .resource-details > table')), 'a service shows the empty items table');
    // The coordinator may see the health, and refresh it.
    const health = '.detail-row:not([hidden]) .service-health';
    await page.waitForSelector(`${health}[data-state="ready"]`);
    const state = await page.getAttribute(health, 'data-breaker');
    expect(['closed', 'open', 'half_open'].includes(state), `breaker state ${state}`);
    const badge = await page.textContent(`${health} dd[data-field="state"]`);
    expect(['正常', '熔断', '半开'].includes(badge.trim()), `state badge: ${badge}`);
    await page.click(`${health} button[data-action="health-refresh"]`);
    await page.waitForSelector(`${health}[data-state="ready"]`);
    const calls = Number((await page.textContent(`${health} dd[data-field="calls_1h"]`)).replace(/[^0-9]/g, ''));
    expect(calls >= 1, `calls in the last hour: ${calls} (the demo calls the service)`);
    expect(!(await page.$('.detail-row:not([hidden]) .try-form')), 'the coordinator is offered try-it without a grant');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("a granted consumer (tax) calls the enterprise query: 200, masked data, a ledger index", page, async () => {
    await signIn(page, 'gzsw-officer');
    await openService(page, ENTERPRISE_SERVICE);
    expect(!(await page.$('.detail-row:not([hidden]) .service-health')), "a consumer sees the provider's health");
    const form = '.detail-row:not([hidden]) .try-form[data-operation="enterprise"]';
    await page.waitForSelector(form);
    // The purpose is required: nothing is sent without it.
    await page.fill('#try-enterprise-uscc', DEMO_USCC);
    await page.click(`${form} button[data-action="try"]`);
    await page.waitForSelector(`${form} .message.error`);
    expect(!(await page.$('.detail-row:not([hidden]) .try-answer')), 'a call went out without a purpose');

    await page.fill('#try-enterprise-purpose', '税务登记核验（浏览器测试）');
    await page.click(`${form} button[data-action="try"]`);
    const answer = '.detail-row:not([hidden]) .try-answer';
    await page.waitForSelector(answer);
    const status = await page.getAttribute(answer, 'data-status');
    const problem = await page.$eval(answer, (el) => el.querySelector('.message.error')?.textContent ?? '');
    expect(status === '200', `status ${status}${problem ? `: ${problem}` : ''}`);
    const data = JSON.parse(await page.textContent(`${answer} .try-json`));
    expect(data.uscc === DEMO_USCC, `uscc ${data.uscc}`);
    expect(typeof data.legal_representative === 'string' && data.legal_representative.includes('*'), `legal_representative not masked: ${data.legal_representative}`);
    expect(!('legal_representative_id' in data), 'an item not granted is in the answer');
    const index = (await page.textContent(`${answer} .ledger-index`)).trim();
    expect(/^\d+$/.test(index), `X-Ledger-Index ${index}`);
    const link = await page.getAttribute(`${answer} a.ledger-link`, 'href');
    expect(link?.startsWith('#/ledger?request_id=console-try-'), `ledger link ${link}`);

    // A refusal shows the problem: an enterprise the upstream does not know is 404.
    await page.fill('#try-enterprise-uscc', '914401000000000000');
    await page.click(`${form} button[data-action="try"]`);
    await page.waitForSelector(`${answer}:not([data-status="200"]) .try-problem .message.error`);
    expect((await page.getAttribute(answer, 'data-status')) === '404', `unknown enterprise: ${await page.getAttribute(answer, 'data-status')}`);
    expect(/^\d+$/.test((await page.textContent(`${answer} .ledger-index`)).trim()), 'the refusal has no X-Ledger-Index');
  });

  await check('a consumer without a grant (tax, population check) is told to apply', page, async () => {
    await openService(page, POPULATION_SERVICE);
    await page.waitForSelector('.detail-row:not([hidden]) .try-area[data-operation="verify_person"] .no-grant');
    expect(!(await page.$('.detail-row:not([hidden]) .try-form[data-operation="verify_person"]')), 'try-it is offered without a grant');
    expect(!page.consoleErrors.length, `uncaught errors or CSP violations: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

// === g) coordination: demands, escalations, issued reports, grants, agencies (issue 19) ============
// The demo has a demand in each state, an open escalation of statistics' rejected application,
// last month's issued 通报, power supply's grant ending in ten days, statistics' revoked grant and
// tax's pending renewal. Each check does its step in the page and asks the hub what it did.
const POLICE = '1144010024CNN5F90B';
const MARKET = '114401009P0Y2GG12L';
const PLANNING = '11440100TN5YUXTM3J';
const TAX = '11440100XYDWCM5T1B';
const POWER = '11440000B94HP7C595';
const HUB_AGENCY = '11440100CWC9EE711D'; // 广州市政务服务和数据管理局

/**
 * Confirms the open action form and waits for the page to come back — a new page element, ready,
 * with its success message — and returns that message.
 */
async function confirmAction(page, action, name) {
  await page.$eval('.page', (el) => (el.dataset.stale = 'true'));
  await page.click(`.action-form[data-action="${action}"] button[data-confirm="${action}"]`);
  const fresh = `.page[data-page="${name}"][data-state="ready"]:not([data-stale])`;
  await page.waitForSelector(`${fresh} .flash .message.success`);
  return (await page.textContent(`${fresh} .flash`)).trim();
}

/** Submits the open action form empty-handed: the console must stop it with a message. */
async function refusedEmpty(page, action) {
  await page.click(`.action-form[data-action="${action}"] button[data-confirm="${action}"]`);
  await page.waitForSelector(`.action-form[data-action="${action}"] .message.error`);
}

const rowOf = (page, table, text) => page.locator(`${table} tbody tr[data-id]`, { hasText: text });

{
  const { context, page } = await newPage();
  await check('coordinator: demands in every state, in Chinese; the open one is assigned with a working-day deadline', page, async () => {
    await signIn(page, 'coordinator');
    const nav = await navItems(page);
    expect(['issues', 'grants', 'demands', 'escalations'].every((p) => nav.includes(p)) && !nav.includes('agencies'), `coordinator's nav: ${nav.join(',')}`);
    await open(page, 'demands');
    const states = await page.$$eval('#demands-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.status));
    for (const s of ['open', 'assigned', 'answered', 'closed', 'disputed']) expect(states.includes(s), `no ${s} demand listed: ${states.join(',')}`);
    const badges = await page.$$eval('#demands-table .status-cell .badge', (bs) => bs.map((b) => b.textContent));
    for (const b of ['待指派', '已指派', '已答复', '已办结', '有异议']) expect(badges.includes(b), `no badge ${b}: ${badges.join(',')}`);

    // The closed demand's details: planning's reason, and its history step by step.
    const closed = rowOf(page, '#demands-table', '不动产登记信息');
    await closed.locator('button[data-action="details"]').click();
    await page.waitForSelector('.demand-details .timeline li[data-step="closed"]');
    const steps = await page.$$eval('.demand-details .timeline li', (lis) => lis.map((li) => li.dataset.step));
    expect(steps.join(',') === 'posted,assigned,answered,closed', `history: ${steps.join(',')}`);
    expect((await page.textContent('.demand-details dd[data-field="reason"]')).includes('不动产登记中心'), 'the not-held reason is not shown');

    const row = rowOf(page, '#demands-table', '新就业形态劳动者平台用工数据');
    const id = await row.getAttribute('data-id');
    await row.locator('button[data-action="assign"]').click();
    await refusedEmpty(page, 'assign');
    await page.selectOption(`#assign-${id}`, MARKET);
    const flash = await confirmAction(page, 'assign', 'demands');
    expect(flash.includes('广州市市场监督管理局'), `message: ${flash}`);
    const after = `#demands-table tr[data-id="${id}"]`;
    expect((await page.getAttribute(after, 'data-status')) === 'assigned', `status after assigning: ${await page.getAttribute(after, 'data-status')}`);
    const due = (await page.textContent(`${after} td.due`)).trim();
    expect(/^\d{4}-\d{2}-\d{2} 23:59$/.test(due), `due shown as ${due}`);
    const coordinator = await apiSession(context.request, 'coordinator');
    const demand = await apiGet(context.request, coordinator, `/demands/${id}`);
    expect(demand.status === 'assigned' && demand.provider_code === MARKET, `the hub has ${demand.status} to ${demand.provider_code}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("an agency's data officer posts a demand; it is listed as its own, open", page, async () => {
    await signIn(page, 'gzga-officer');
    await open(page, 'demands');
    await page.click('#demand-new');
    await refusedEmpty(page, 'post');
    const title = `存量房交易网签备案信息（浏览器测试 ${Date.now()}）`;
    await page.fill('#demand-title', title);
    await page.fill('#demand-description', '户籍迁入审核需要核验购房合同网签备案');
    await page.fill('#demand-items', '网签合同编号\n买受人、房屋坐落');
    await page.fill('#demand-purpose', '户籍迁入审核');
    await page.selectOption('#demand-suggested', PLANNING);
    await confirmAction(page, 'post', 'demands');
    expect((await page.evaluate(() => location.hash)).includes('direction=outgoing'), 'not on the outgoing list');
    const row = rowOf(page, '#demands-table', title);
    expect((await row.getAttribute('data-status')) === 'open', 'the new demand is not open');
    const chips = await row.locator('.chip').allTextContents();
    expect(chips.join('|') === '网签合同编号|买受人|房屋坐落', `items: ${chips.join('|')}`);
    expect((await row.textContent()).includes('建议：广州市规划和自然资源局'), 'the suggested provider is not shown');
    const officer = await apiSession(context.request, 'gzga-officer');
    const mine = (await apiGet(context.request, officer, '/demands?direction=outgoing')).items.find((d) => d.title === title);
    expect(mine && mine.consumer_code === POLICE && mine.suggested_provider_code === PLANNING && mine.items_wanted.length === 3, `the hub has ${JSON.stringify(mine)?.slice(0, 200)}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('the assigned agency answers a demand (not held, with a reason); the asker disputes the answer', page, async () => {
    await signIn(page, 'gdgz-cdo');
    await open(page, 'demands?direction=incoming');
    const row = rowOf(page, '#demands-table', '企业月度用电量');
    const id = await row.getAttribute('data-id');
    expect((await row.getAttribute('data-status')) === 'assigned', 'the demand assigned to power supply is not listed as assigned');
    await row.locator('button[data-action="respond"]').click();
    await page.selectOption(`#outcome-${id}`, 'not_held');
    await refusedEmpty(page, 'respond');
    await page.fill(`#reason-${id}`, '本局仅掌握用户总表电量，企业分户用电量由售电公司掌握');
    await confirmAction(page, 'respond', 'demands');
    const answered = `#demands-table tr[data-id="${id}"]`;
    expect((await page.getAttribute(answered, 'data-status')) === 'answered', 'not answered in the page');
    expect((await page.textContent(answered)).includes('未掌握该数据'), 'the outcome is not shown');

    // Tax, who asked, disputes it.
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'gzsw-officer');
    await open(page, 'demands?direction=outgoing');
    const mine = `#demands-table tr[data-id="${id}"]`;
    await page.click(`${mine} button[data-action="dispute"]`);
    await refusedEmpty(page, 'dispute');
    await page.fill(`#note-${id}`, '售电公司数据可由供电局汇总提供，请协调小组改派');
    await confirmAction(page, 'dispute', 'demands');
    expect((await page.getAttribute(mine, 'data-status')) === 'disputed', 'not disputed in the page');
    const tax = await apiSession(context.request, 'gzsw-officer');
    const demand = await apiGet(context.request, tax, `/demands/${id}`);
    expect(demand.status === 'disputed' && demand.outcome === 'not_held' && demand.acceptance_note.includes('售电公司'), `the hub has ${demand.status}, ${demand.outcome}`);
  });
  await check('the asker accepts a catalogued answer: the demand is closed', page, async () => {
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'gztj-cdo');
    await open(page, 'demands?direction=outgoing&status=answered');
    const row = rowOf(page, '#demands-table', '全市企业名录');
    const id = await row.getAttribute('data-id');
    expect((await row.textContent()).includes('已编目'), 'the catalogued answer is not shown');
    await row.locator('button[data-action="accept"]').click();
    await confirmAction(page, 'accept', 'demands');
    expect(!(await page.$(`#demands-table tr[data-id="${id}"]`)), 'still listed under 已答复');
    const stats = await apiSession(context.request, 'gztj-cdo');
    expect((await apiGet(context.request, stats, `/demands/${id}`)).status === 'closed', 'the hub has not closed it');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('coordinator rules the open escalation: reconsider, and the application is pending again', page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const open_ = (await apiGet(context.request, coordinator, '/escalations?status=open')).items;
    expect(open_.length >= 1, 'the demo has no open escalation');
    const escalation = open_[0];
    await signIn(page, 'coordinator');
    await open(page, 'escalations');
    const row = `#escalations-table tr[data-id="${escalation.id}"]`;
    expect((await page.textContent(row)).includes('待裁定'), 'the open escalation does not say 待裁定');
    await page.click(`${row} button[data-action="rule"]`);
    await refusedEmpty(page, 'rule');
    await page.selectOption(`#ruling-${escalation.id}`, 'reconsider');
    await page.fill(`#ruling-note-${escalation.id}`, '经济普查可使用脱敏后的身份证号去重，请市场监管局重新审批');
    const flash = await confirmAction(page, 'rule', 'escalations');
    expect(flash.includes('重新审批'), `message: ${flash}`);
    expect((await page.textContent(row)).includes('要求重新审批'), 'the ruling is not shown under 已裁定');
    const application = await apiGet(context.request, coordinator, `/applications/${escalation.application_id}`);
    expect(application.status === 'pending' && Date.parse(application.due_at) > Date.now(), `the application is ${application.status}, due ${application.due_at}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('a consumer escalates its rejected application from the escalations page', page, async () => {
    // Set-up through the API: a provider rejects one of the demo's pending applications.
    const coordinator = await apiSession(context.request, 'coordinator');
    const pending = (await apiGet(context.request, coordinator, '/applications?status=pending')).items;
    const app = pending.find((a) => !a.renews_grant_id && DEMO_PREFIX[a.provider_code] && DEMO_PREFIX[a.consumer_code]);
    expect(app, `no pending demo application to reject (${pending.length} pending)`);
    const provider = await apiSession(context.request, `${DEMO_PREFIX[app.provider_code]}-officer`);
    const opinion = '用途与申请的信息项不相符（浏览器测试）';
    await apiPost(context.request, provider, `/applications/${app.id}/decision`, { decision: 'reject', opinion });

    await signIn(page, `${DEMO_PREFIX[app.consumer_code]}-officer`);
    await open(page, 'escalations');
    await page.selectOption('#escalate-application', app.id);
    expect((await page.textContent('#escalate-opinion')).includes(opinion), "the provider's opinion is not shown");
    await refusedEmpty(page, 'escalate');
    await page.fill('#escalate-reason', '业务确需该数据，请协调小组裁定');
    await confirmAction(page, 'escalate', 'escalations');
    const row = `#escalations-table tr[data-application="${app.id}"]`;
    expect((await page.getAttribute(row, 'data-status')) === 'open', 'the escalation is not listed as open');
    const offered = await page.$$eval('#escalate-application option', (os) => os.map((o) => o.value));
    expect(!offered.includes(app.id), 'the application is offered again while its escalation is open');
    const escalations = (await apiGet(context.request, coordinator, '/escalations?status=open')).items;
    expect(escalations.some((e) => e.application_id === app.id), 'the hub has no open escalation of it');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("coordinator: last month's 通报 with its sha256 and signature, verified in the browser, downloaded as issued", page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const issue = (await apiGet(context.request, coordinator, '/reports/issues')).items.at(-1);
    expect(issue, 'the demo issued no report');
    await signIn(page, 'coordinator');
    await open(page, 'issues');
    const row = `#issues-table tr[data-id="${issue.id}"]`;
    expect((await page.textContent(`${row} .issue-number`)).trim() === issue.number, 'the number is not shown');
    expect(/^穗数通〔\d{4}〕\d{1,2}号$/.test(issue.number), `number ${issue.number}`);
    if (!(await page.$(`.issue-signature[data-id="${issue.id}"]`))) await page.click(`${row} button[data-action="signature"]`);
    const panel = `.issue-signature[data-id="${issue.id}"]`;
    expect((await page.textContent(`${panel} [data-field="sha256"]`)) === issue.sha256, 'the sha256 shown is not the hub\'s');
    expect((await page.textContent(`${panel} [data-field="signature"]`)) === issue.signature, 'the signature shown is not the hub\'s');
    expect((await page.textContent(`${panel} pre.commands`)).includes(`hubctl report verify`) && (await page.textContent(`${panel} pre.commands`)).includes(`--issue ${issue.id}`), 'no hubctl command');
    await page.click(`${panel} button[data-action="verify"]`);
    await page.waitForSelector(`${panel} .verify-result[data-verdict]`);
    const checks = await page.$$eval(`${panel} .verify-list li`, (lis) => lis.map((li) => `${li.dataset.check}=${li.dataset.ok}`));
    expect((await page.getAttribute(`${panel} .verify-result`, 'data-verdict')) === 'passed', `verdict: ${checks.join(',')} ${await page.textContent(`${panel} .verify-result`)}`);

    const json = await downloadOf(page, `${row} button[data-format="json"]`);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(json.bytes).digest('hex') === issue.sha256, 'the JSON downloaded is not the bytes signed');
    expect(json.name === `${issue.number}.json`, `file name ${json.name}`);
    const csv = await downloadOf(page, `${row} button[data-format="csv"]`);
    expect(csv.bytes[0] === 0xef && csv.bytes[1] === 0xbb && csv.bytes[2] === 0xbf, 'the CSV has no BOM');
    const xlsx = await downloadOf(page, `${row} button[data-format="xlsx"]`);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1') === 'PK', 'the XLSX is not a zip');
  });
  await check('coordinator issues a 通报 from the page; the same number again is refused (409) in the form', page, async () => {
    await page.click('#issue-new');
    const number = `穗数通〔2026〕${90 + (Date.now() % 9)}号`;
    await page.fill('#issue-number', number);
    expect((await page.inputValue('#issue-title')).endsWith('政务数据共享情况通报'), 'no title proposed');
    const flash = await confirmAction(page, 'issue', 'issues');
    expect(flash.includes(number), `message: ${flash}`);
    const first = await page.$eval('#issues-table tbody tr[data-id] .issue-number', (td) => td.textContent.trim());
    expect(first === number, `newest first is ${first}`);
    const sha = await page.textContent('.issue-signature [data-field="sha256"]');
    expect(/^[0-9a-f]{64}$/.test(sha), `sha256 ${sha}`);
    await page.click('#issue-new');
    await page.fill('#issue-number', number);
    await page.click('.action-form[data-action="issue"] button[data-confirm="issue"]');
    await page.waitForSelector('.action-form[data-action="issue"] .message.error[data-status="409"]');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("an agency CDO reads the issued reports, and is not offered to issue one", page, async () => {
    await signIn(page, 'gdgz-cdo');
    await open(page, 'issues');
    const rows = await page.$$('#issues-table tbody tr[data-id]');
    expect(rows.length >= 1, 'no issued report listed');
    expect(!(await page.$('#issue-new')), 'a CDO is offered to issue');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('the provider revokes a grant with a reason; the consumer is shown it; a pending renewal is shown', page, async () => {
    const tax = await apiSession(context.request, 'gzsw-officer');
    const grants = (await apiGet(context.request, tax, '/grants')).items;
    const given = grants.find((g) => g.provider_code === TAX && g.consumer_code === MARKET && g.status === 'active');
    expect(given, "no live grant of tax's to market regulation");
    await signIn(page, 'gzsw-officer');
    await open(page, 'grants');
    const row = `#grants-given tr[data-id="${given.id}"]`;
    await page.click(`${row} button[data-action="revoke"]`);
    await refusedEmpty(page, 'revoke');
    const reason = '信用监管联合奖惩改由信用平台统一推送（浏览器测试）';
    await page.fill(`#revoke-reason-${given.id}`, reason);
    await confirmAction(page, 'revoke', 'grants');
    expect((await page.getAttribute(row, 'data-status')) === 'revoked', 'not revoked in the page');
    expect((await page.textContent(`${row} [data-field="revoked_reason"]`)).includes(reason), 'the reason is not shown to the provider');
    // Tax's own renewal, when still waiting, is shown on its grant, which offers no second one.
    const renewing = grants.find((g) => g.consumer_code === TAX && g.renewal_application_id);
    if (renewing) {
      const mine = `#grants-received tr[data-id="${renewing.id}"]`;
      expect((await page.textContent(`${mine} [data-field="renewal_application_id"]`)).includes(renewing.renewal_application_id), 'the pending renewal is not shown');
      expect(!(await page.$(`${mine} button[data-action="renew"]`)), 'a second renewal is offered');
    } else {
      console.log('      (no renewal waiting: the inbox check approved it)');
    }

    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'gzsc-officer');
    await open(page, 'grants');
    const theirs = `#grants-received tr[data-id="${given.id}"]`;
    expect((await page.textContent(`${theirs} .status-cell`)).includes('已撤销'), 'the consumer does not see it revoked');
    expect((await page.textContent(`${theirs} [data-field="revoked_reason"]`)).includes(reason), 'the consumer is not shown the reason');
    const market = await apiSession(context.request, 'gzsc-officer');
    expect((await apiGet(context.request, market, `/grants/${given.id}`)).revoked_reason === reason, 'the hub has another reason');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('the consumer renews its grant ending in ten days: approved at once, the new end shown', page, async () => {
    const power = await apiSession(context.request, 'gdgz-cdo');
    const ending = (await apiGet(context.request, power, '/grants')).items.find((g) => g.consumer_code === POWER && g.status === 'active' && Date.parse(g.valid_until) - Date.now() < 15 * 86_400_000);
    expect(ending, 'no grant of power supply ending within 15 days');
    await signIn(page, 'gdgz-cdo');
    await open(page, 'grants');
    const row = `#grants-received tr[data-id="${ending.id}"]`;
    expect(/\d+ 天后到期/.test(await page.textContent(`${row} .status-cell`)), 'no 天后到期 warning');
    await page.click(`${row} button[data-action="renew"]`);
    const until = await page.inputValue(`#renew-until-${ending.id}`);
    expect(/^\d{4}-\d{2}-\d{2}$/.test(until), `proposed end ${until}`);
    await refusedEmpty(page, 'renew');
    await page.fill(`#renew-reason-${ending.id}`, '大客户用电业务办理持续开展');
    const flash = await confirmAction(page, 'renew', 'grants');
    expect(flash.includes(`授权已续期至 ${until}`), `message: ${flash}`);
    expect((await page.textContent(`${row} td.valid-until`)).startsWith(until), `valid until shown: ${await page.textContent(`${row} td.valid-until`)}`);
    const grant = await apiGet(context.request, power, `/grants/${ending.id}`);
    expect(grant.status === 'active' && Date.parse(grant.valid_until) > Date.now() + 300 * 86_400_000, `the hub has it until ${grant.valid_until}`);
    expect(!page.consoleErrors.length, `uncaught errors: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('hub_admin, in English: an agency renamed and moved, disabled (its people refused), enabled again, and another merged into it', page, async () => {
    expect(process.env.HUB_ADMIN_TOKEN, 'HUB_ADMIN_TOKEN is not set (console.sh sets it)');
    const admin = process.env.HUB_ADMIN_TOKEN;
    const r = await context.request.post(`${hubUrl}/api/v1/principals`, {
      headers: { Authorization: `Bearer ${admin}` },
      data: { name: 'console-admin', kind: 'user', roles: ['hub_admin'], password: PASSWORD },
    });
    expect(r.status() === 201 || r.status() === 409, `adding a hub_admin: ${r.status()} ${await r.text()}`);
    await signIn(page, 'console-admin');
    await page.selectOption('#lang-select', 'en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect((await navItems(page)).includes('agencies'), 'no agencies page for hub_admin');
    await open(page, 'agencies?q=规划');
    expect((await page.textContent('.page h1')) === 'Agencies', `heading ${await page.textContent('.page h1')}`);
    const row = `#agencies-table tr[data-code="${PLANNING}"]`;
    await page.click(`${row} button[data-action="edit"]`);
    const name = '广州市规划和自然资源局（机构改革测试）';
    await page.fill(`#agency-name-${PLANNING}`, name);
    await page.selectOption(`#agency-parent-${PLANNING}`, HUB_AGENCY);
    const saved = await confirmAction(page, 'edit', 'agencies');
    expect(saved.startsWith('Saved'), `message: ${saved}`);
    await open(page, `agencies?q=${PLANNING}`);
    expect((await page.textContent(`${row} .agency-name`)) === name, 'the new name is not shown');
    expect((await page.textContent(`${row} td:nth-child(4)`)).includes('广州市政务服务和数据管理局'), 'the new parent is not shown');
    const agency = await apiGet(context.request, admin, `/agencies/${PLANNING}`);
    expect(agency.name === name && agency.parent_code === HUB_AGENCY, `the hub has ${agency.name} under ${agency.parent_code}`);

    const signInStatus = async () =>
      (await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name: 'gzgh-officer', password: PASSWORD } })).status();
    await page.click(`${row} button[data-action="disable"]`);
    await confirmAction(page, 'disable', 'agencies');
    expect((await page.textContent(`${row} .status-cell`)).includes('Disabled'), 'not shown as Disabled');
    expect((await signInStatus()) === 401, `a disabled agency's officer signs in: ${await signInStatus()}`);
    await page.click(`${row} button[data-action="enable"]`);
    await confirmAction(page, 'enable', 'agencies');
    expect((await page.textContent(`${row} .status-cell`)).includes('Active'), 'not shown as Active again');
    expect((await signInStatus()) === 200, `an enabled agency's officer cannot sign in: ${await signInStatus()}`);

    // The demo's 2019 merger: the old commission names its successor and cannot be enabled.
    const OLD = '11440100MB2D4K7G00';
    await open(page, `agencies?q=${OLD}`);
    const old = `#agencies-table tr[data-code="${OLD}"]`;
    expect((await page.textContent(`${old} .status-cell`)).includes('Merged into'), 'the successor is not named');
    expect(!(await page.$(`${old} button[data-action="enable"]`)), 'a succeeded agency is offered enabling');
    // A merger done here: a new district bureau merged into planning, with its resource.
    const DISTRICT = '11440100MB2D4K8E1N';
    const made = await context.request.post(`${hubUrl}/api/v1/agencies`, {
      headers: { Authorization: `Bearer ${admin}` },
      data: { code: DISTRICT, name: '广州市测绘地理信息局', level: 'city' },
    });
    expect(made.status() === 201, `adding an agency: ${made.status()} ${await made.text()}`);
    await open(page, `agencies?q=${DISTRICT}`);
    const merging = `#agencies-table tr[data-code="${DISTRICT}"]`;
    await page.click(`${merging} button[data-action="succeed"]`);
    await refusedEmpty(page, 'succeed');
    await page.selectOption(`#agency-successor-${DISTRICT}`, PLANNING);
    const merged = await confirmAction(page, 'succeed', 'agencies');
    expect(merged.includes('merged into') && merged.includes(PLANNING), `message: ${merged}`);
    const after = await apiGet(context.request, admin, `/agencies/${DISTRICT}`);
    expect(after.status === 'disabled' && after.successor_code === PLANNING, `the hub has ${after.status}, successor ${after.successor_code}`);
    expect(!page.consoleErrors.length, `uncaught errors: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

// === h) whose records, and the privacy budget (issue 20) =============================================
// The subject log: a provider's officers enter a record's key and see who received that record;
// the key never enters the page's address. Aggregate grants show what is left of today's ε.
const STATS = '114401000UUY8XPWXH';

/** An 18-character enterprise-like key no record of the demo has (a read of it is a 404 that names it). */
function unusedKey() {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  let key = '91440106';
  for (let i = 0; i < 10; i++) key += chars[Math.floor(Math.random() * chars.length)];
  return key;
}

/** An RFC 3339 time as the console writes it with seconds: Asia/Shanghai, UTC+8 all year. */
const cityTime = (iso) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

/** Waits until a signed checkpoint covers ledger index `index` (within 2 s of its append, API.md). */
async function coveredBy(request, token, index) {
  for (const deadline = Date.now() + 5000; ; ) {
    const r = await request.get(`${hubUrl}/api/v1/ledger/checkpoint`, { headers: { Authorization: `Bearer ${token}` } });
    if (Number((await r.text()).split('\n')[1]) > index) return;
    expect(Date.now() < deadline, `entry ${index} not covered by a checkpoint within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Expands the catalog row of the resource `code` (searched by `q`) and returns its detail row's selector. */
async function expandResource(page, q, code) {
  await open(page, `catalog?q=${encodeURIComponent(q)}`);
  await page.click(`#catalog-table tbody tr[data-code="${code}"]`);
  const detail = `#catalog-table tr[data-code="${code}"] + tr.detail-row:not([hidden])`;
  await page.waitForSelector(`${detail} .resource-details`);
  return detail;
}

/** Looks `key` up in the open "who accessed this record" section; returns the state it ends in. */
async function lookUpSubject(page, detail, code, key) {
  const section = `${detail} .subject-log`;
  await page.$eval(section, (el) => (el.dataset.state = 'stale'));
  await page.fill(`#subject-key-${code}`, key);
  await page.click(`${section} button[data-action="subject-lookup"]`);
  await page.waitForSelector(`${section}:is([data-state="ready"], [data-state="empty"], [data-state="error"])`);
  const state = await page.getAttribute(section, 'data-state');
  if (state === 'error') throw new Error(`the lookup failed: ${await page.textContent(`${section} .subject-log-out`)}`);
  return state;
}

{
  const { context, page } = await newPage();
  const subject = { key: unusedKey(), requestId: `console-subject-${Date.now()}`, entry: null, registration: null };
  await check("the provider's data officer finds who accessed a record by its key: the request shown, the key in no page address", page, async () => {
    expect(process.env.HUB_DEMO_TOKENS, 'HUB_DEMO_TOKENS is not set (console.sh sets it)');
    const tokens = JSON.parse(readFileSync(process.env.HUB_DEMO_TOKENS, 'utf8'));
    const coordinator = await apiSession(context.request, 'coordinator');
    const registration = (await apiGet(context.request, coordinator, `/resources?provider=${MARKET}&q=${encodeURIComponent('企业登记')}`)).items[0];
    expect(registration && tokens['gzsw-system'], 'no registration resource or tax system token in the demo');
    subject.registration = registration;
    // Tax reads a registration under its grant; the read names the key, found or not.
    const purpose = '企业涉税信息核实（浏览器测试）';
    const r = await context.request.get(`${hubUrl}/api/v1/resources/${registration.code}/records/${subject.key}`, {
      headers: { Authorization: `Bearer ${tokens['gzsw-system']}`, 'X-Purpose': encodeURIComponent(purpose), 'X-Request-Id': subject.requestId },
    });
    expect([200, 404].includes(r.status()), `tax's read of ${subject.key}: ${r.status()} ${(await r.text()).slice(0, 200)}`);
    const index = Number(r.headers()['x-ledger-index']);
    expect(Number.isInteger(index), 'the read has no X-Ledger-Index');
    const officer = await apiSession(context.request, 'gzsc-officer');
    const named = (await apiGet(context.request, officer, `/ledger/entries?subject=${encodeURIComponent(subject.key)}&resource_code=${registration.code}`)).items;
    expect(named.length === 1 && named[0].index === index, `the hub lists ${named.length} entries naming the key: ${named.map((e) => e.index).join(',')}, the read was ${index}`);
    subject.entry = named[0];
    expect(subject.entry.purpose === purpose, `the entry's purpose is ${subject.entry.purpose}`);

    await signIn(page, 'gzsc-officer');
    const detail = await expandResource(page, '企业登记信息', registration.code);
    const section = `${detail} .subject-log`;
    await page.waitForSelector(section);
    expect((await page.textContent(`${section} h3`)) === '谁访问了这条记录', `heading ${await page.textContent(`${section} h3`)}`);
    const note = await page.textContent(`${section} .subject-privacy`);
    expect(note.includes('加密哈希') && note.includes('不保存'), `the note does not say the key is looked up by its hash and not kept: ${note}`);
    expect((await page.getAttribute(`#subject-key-${registration.code}`, 'autocomplete')) === 'off', 'the key field may be remembered by the browser');
    // Nothing typed: stopped in the form, nothing sent.
    await page.click(`${section} button[data-action="subject-lookup"]`);
    await page.waitForSelector(`${section}[data-state="error"] .message.error`);

    expect((await lookUpSubject(page, detail, registration.code, subject.key)) === 'ready', 'no entries shown');
    const rows = await page.$$eval(`${section} .subject-log-table tbody tr`, (trs) =>
      trs.map((tr) => ({ index: tr.dataset.index, requestId: tr.dataset.requestId, cells: [...tr.cells].map((c) => c.textContent.trim()) })),
    );
    expect(rows.length === 1, `${rows.length} rows shown`);
    const [time, operation, consumer, shownPurpose, purposeCode, status, shownIndex] = rows[0].cells;
    expect(rows[0].requestId === subject.requestId, `the row is request ${rows[0].requestId}`);
    expect(time === cityTime(subject.entry.time), `time shown ${time}, the entry's ${subject.entry.time} is ${cityTime(subject.entry.time)} in the city`);
    expect(operation === '读取', `operation ${operation}`);
    expect(consumer.includes('国家税务总局广州市税务局') && consumer.includes(TAX), `consumer ${consumer}`);
    expect(shownPurpose === purpose, `purpose ${shownPurpose}`);
    expect(purposeCode === (subject.entry.purpose_code ?? '—'), `purpose code ${purposeCode}`);
    expect(status.includes(String(subject.entry.status)) && status.includes(subject.entry.status === 404 ? '未找到' : '已提供'), `status ${status}`);
    expect(shownIndex === String(index), `index ${shownIndex}`);
    expect((await page.textContent(`${section} .table-footer`)).includes('已显示 1 次访问'), 'no count under the table');

    // A key nobody asked after: said in words.
    expect((await lookUpSubject(page, detail, registration.code, unusedKey())) === 'empty', 'a key no request named lists entries');
    expect((await page.textContent(`${section} .subject-empty`)).includes('没有任何已记录的请求'), `empty message: ${await page.textContent(`${section} .subject-empty`)}`);

    // The key went to the hub only in the lookup's query string; never in the page's address or storage.
    expect(!page.url().includes(subject.key), `the key is in the page address: ${page.url()}`);
    const carried = page.requestedUrls.filter((u) => u.includes(subject.key));
    expect(carried.length === 1 && carried[0].startsWith(`${hubUrl}/api/v1/ledger/entries?`), `URLs with the key: ${carried.join(' ')}`);
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    expect(!stored.includes(subject.key), 'the key is kept in the browser storage');

    // The index links to the entry's proof on the ledger page, verified in the browser.
    await coveredBy(context.request, officer, index);
    await lookUpSubject(page, detail, registration.code, subject.key);
    await page.click(`${section} .subject-log-table tbody tr a.ledger-link`);
    await page.waitForSelector('.page[data-page="ledger"]:not([data-state="loading"]) .ledger-result');
    const results = await page.$$eval('.ledger-result', (els) => els.map((el) => `${el.dataset.index}:${el.dataset.verdict}`));
    expect(results.join(',') === `${index}:passed`, `ledger page: ${results.join(',')}`);
    expect(!page.url().includes(subject.key), `the key is in the ledger page's address: ${page.url()}`);
    expect(!page.consoleErrors.length, `uncaught errors: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });

  await check("who accessed a record is offered to the provider's officers and the hub's staff only", page, async () => {
    expect(subject.registration, 'the check before found no registration resource');
    for (const name of ['gzsc-operator', 'gzsw-officer']) {
      await page.evaluate(() => sessionStorage.clear());
      await signIn(page, name);
      const detail = await expandResource(page, '企业登记信息', subject.registration.code);
      expect(!(await page.$(`${detail} .subject-log`)), `${name} is offered the subject log of market regulation's resource`);
    }
    // The hub agrees: the provider's operator is shown nothing; tax's officer, the consumer of the
    // read, sees its own entry (through the API; the console offers the lookup to providers).
    const named = async (name) =>
      (await apiGet(context.request, await apiSession(context.request, name), `/ledger/entries?subject=${encodeURIComponent(subject.key)}&resource_code=${subject.registration.code}`)).items;
    expect((await named('gzsc-operator')).length === 0, "the provider's operator is shown entries");
    expect((await named('gzsw-officer')).map((e) => e.request_id).join(',') === subject.requestId, "the consumer's officer is not shown its own read");
  });

  await check('coordinator, in English: who accessed a record, its entry listed and verified; an unknown key said so', page, async () => {
    expect(subject.entry, 'the first check made no entry');
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'coordinator');
    await page.selectOption('#lang-select', 'en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    const code = subject.registration.code;
    const detail = await expandResource(page, '企业登记信息', code);
    const section = `${detail} .subject-log`;
    expect((await page.textContent(`${section} h3`)) === 'Who accessed this record', `heading ${await page.textContent(`${section} h3`)}`);
    const note = await page.textContent(`${section} .subject-privacy`);
    expect(note.includes('keyed hash') && note.includes('never stores it'), `note: ${note}`);
    expect((await lookUpSubject(page, detail, code, `  ${subject.key} `)) === 'ready', 'no entries shown');
    const headers = await page.$$eval(`${section} .subject-log-table thead th`, (ths) => ths.map((th) => th.textContent));
    expect(headers.join('|') === 'Time (Beijing)|Operation|Consumer|Purpose|Purpose code|Outcome|Ledger index', `headers: ${headers.join('|')}`);
    const row = `${section} .subject-log-table tbody tr[data-index="${subject.entry.index}"]`;
    expect((await page.textContent(`${row} td.operation`)) === 'Read', `operation ${await page.textContent(`${row} td.operation`)}`);
    expect((await page.textContent(`${row} td.status`)).includes(subject.entry.status === 404 ? 'Not found' : 'Served'), `outcome ${await page.textContent(`${row} td.status`)}`);
    expect((await lookUpSubject(page, detail, code, unusedKey())) === 'empty', 'an unknown key lists entries');
    expect((await page.textContent(`${section} .subject-empty`)) === 'No recorded request on this resource named this key.', `empty message: ${await page.textContent(`${section} .subject-empty`)}`);
    await lookUpSubject(page, detail, code, subject.key);
    await page.click(`${row} a.ledger-link`);
    await page.waitForSelector('.page[data-page="ledger"]:not([data-state="loading"]) .ledger-result');
    expect((await page.getAttribute('.ledger-result', 'data-verdict')) === 'passed', 'the entry does not verify');
    expect(!page.url().includes(subject.key), 'the key is in the page address');
  });
  await context.close();
}

/** The grant of statistics' aggregates on the enterprise registrations, as the hub has it now. */
async function statsAggregateGrant(request, token) {
  const grants = (await apiGet(request, token, '/grants')).items;
  return grants.find((g) => g.consumer_code === STATS && g.provider_code === MARKET && g.status === 'active' && g.operations.includes('aggregate'));
}

const epsilon = (n) => String(Math.round(n * 1000) / 1000);

{
  const { context, page } = await newPage();
  await check("an aggregate grant's privacy budget: spent, left and queries left today; an aggregate query spends it", page, async () => {
    const stats = await apiSession(context.request, 'gztj-cdo');
    const before = await statsAggregateGrant(context.request, stats);
    expect(before, "no live aggregate grant of statistics' on market regulation's registrations");
    const p = before.privacy;
    expect(p && typeof p.epsilon_per_day === 'number' && typeof p.epsilon_spent_today === 'number', `the hub's grant has privacy ${JSON.stringify(p)}`);
    expect(p.epsilon_per_day === 10 && p.epsilon_per_query === 1, `the demo's policy is 10 a day, 1 a query; the grant says ${JSON.stringify(p)}`);
    await signIn(page, 'gztj-cdo');
    await open(page, 'grants');
    const budget = `#grants-received tr[data-id="${before.id}"] [data-field="privacy"]`;
    const text = (b) => `隐私预算 ε：今日已用 ${epsilon(b.epsilon_spent_today)} / ${epsilon(b.epsilon_per_day)}，剩余 ${epsilon(b.epsilon_remaining)}（约 ${b.queries_remaining_today} 次查询）`;
    expect((await page.textContent(`${budget} .privacy-text`)) === text(p), `shown: ${await page.textContent(`${budget} .privacy-text`)}; expected ${text(p)}`);
    expect((await page.getAttribute(`${budget} meter`, 'max')) === String(p.epsilon_per_day), 'the meter is not out of the day\'s budget');
    expect((await page.getAttribute(budget, 'title')).includes('ε（epsilon，隐私预算）'), 'no tooltip saying what ε is');
    await page.click(`${budget} .privacy-help summary`);
    const help = await page.textContent(`${budget} .privacy-help`);
    expect(help.includes('噪声') && help.includes('零点恢复') && help.includes('每次统计查询消耗 1'), `help: ${help}`);

    // Statistics' system counts enterprises by district: one query's ε is spent.
    expect(process.env.HUB_DEMO_TOKENS, 'HUB_DEMO_TOKENS is not set (console.sh sets it)');
    const tokens = JSON.parse(readFileSync(process.env.HUB_DEMO_TOKENS, 'utf8'));
    const r = await context.request.post(`${hubUrl}/api/v1/resources/${before.resource_code}/aggregate`, {
      headers: { Authorization: `Bearer ${tokens['gztj-system']}`, 'X-Purpose': 'console-e2e privacy budget' },
      data: { group_by: ['district'], metrics: [{ op: 'count' }] },
    });
    expect(r.status() === 200, `the aggregate query: ${r.status()} ${(await r.text()).slice(0, 200)}`);
    const after = (await statsAggregateGrant(context.request, stats)).privacy;
    expect(Math.abs(after.epsilon_spent_today - p.epsilon_spent_today - p.epsilon_per_query) < 1e-9, `spent ${p.epsilon_spent_today} then ${after.epsilon_spent_today}`);
    expect(after.queries_remaining_today === p.queries_remaining_today - 1, `queries left ${p.queries_remaining_today} then ${after.queries_remaining_today}`);
    // The same address again: reload the page for the hub's figures now.
    await page.reload();
    await page.waitForSelector('.page[data-page="grants"][data-state="ready"]');
    expect((await page.textContent(`${budget} .privacy-text`)) === text(after), `after the query: ${await page.textContent(`${budget} .privacy-text`)}; expected ${text(after)}`);
    expect((await page.getAttribute(budget, 'data-queries')) === String(after.queries_remaining_today), 'data-queries is not the hub\'s');
    // Statistics' revoked aggregate grant (tax's credit ratings) has no budget left to show.
    const revoked = (await apiGet(context.request, stats, '/grants')).items.filter((g) => g.consumer_code === STATS && g.status !== 'active');
    expect(revoked.length >= 1, 'statistics has no grant that is not live');
    for (const g of revoked) expect(!(await page.$(`#grants-received tr[data-id="${g.id}"] [data-field="privacy"]`)), `the ${g.status} grant ${g.id} shows a privacy budget`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("the provider, in English: the privacy budget of the aggregate grant it gives, none on a grant to read", page, async () => {
    const market = await apiSession(context.request, 'gzsc-officer');
    const grants = (await apiGet(context.request, market, '/grants')).items;
    const aggregate = grants.find((g) => g.consumer_code === STATS && g.provider_code === MARKET && g.status === 'active' && g.operations.includes('aggregate'));
    const read = grants.find((g) => g.provider_code === MARKET && !g.operations.includes('aggregate'));
    expect(aggregate?.privacy && read, `grants given by market regulation: aggregate ${JSON.stringify(aggregate?.privacy)}, a read grant ${!!read}`);
    expect(read.privacy === null, `a grant without aggregate has privacy ${JSON.stringify(read.privacy)}`);
    await signIn(page, 'gzsc-officer');
    await page.selectOption('#lang-select', 'en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await open(page, 'grants');
    const p = aggregate.privacy;
    const budget = `#grants-given tr[data-id="${aggregate.id}"] [data-field="privacy"]`;
    const expected = `Privacy budget ε: ${epsilon(p.epsilon_spent_today)} of ${epsilon(p.epsilon_per_day)} spent today, ${epsilon(p.epsilon_remaining)} left (about ${p.queries_remaining_today} queries)`;
    expect((await page.textContent(`${budget} .privacy-text`)) === expected, `shown: ${await page.textContent(`${budget} .privacy-text`)}; expected ${expected}`);
    expect((await page.textContent(`${budget} .privacy-help summary`)) === 'What is ε?', 'no "What is ε?"');
    expect((await page.getAttribute(budget, 'title')).startsWith('ε (epsilon, the privacy budget)'), 'no English tooltip');
    expect(!(await page.$(`#grants-given tr[data-id="${read.id}"] [data-field="privacy"]`)), 'a grant to read shows a privacy budget');
    expect(!page.consoleErrors.length, `uncaught errors: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

// === i) joint computations (联合计算, issue 21) ======================================================
// The demo registers 信易贷企业信用评估, active (approved by tax, power supply, human resources and
// planning), on which the credit bureau 广州地方征信有限公司 (gzzx, an external member) holds a
// compute grant; and its revision, under review, pending at all four.
const ACTIVE_COMPUTATION = '信易贷企业信用评估';
const REVISED_COMPUTATION = '信易贷企业信用评估（修订）';
const COMPUTATION_PROVIDERS = [TAX, POWER, '11440100FAJ0T55W64', PLANNING];

/** The demo's computations as the hub lists them to `token` now: {active, revised}, those asked for required. */
async function demoComputations(request, token, required = ['active', 'revised']) {
  const items = (await apiGet(request, token, '/computations?limit=1000')).items;
  const found = { active: items.find((c) => c.name === ACTIVE_COMPUTATION), revised: items.find((c) => c.name === REVISED_COMPUTATION) };
  const missing = required.filter((k) => !found[k]);
  expect(!missing.length, `no ${missing.join(' or ')} computation; the hub lists ${items.map((c) => `${c.name} (${c.status})`).join(', ') || 'none'}`);
  return found;
}

/** Opens #/computations/CODE and waits until it has loaded; returns the page's selector. */
async function openComputation(page, code) {
  await page.goto(`${consoleUrl}#/computations/${encodeURIComponent(code)}`);
  const view = `.page[data-page="computations"][data-view="detail"][data-code="${code}"]`;
  await page.waitForSelector(`${view}:not([data-state="loading"])`);
  const state = await page.getAttribute(view, 'data-state');
  if (state !== 'ready') throw new Error(`computation ${code} is ${state}: ${await page.textContent(view)}`);
  return view;
}

{
  const { context, page } = await newPage();
  await check('coordinator: the computations page lists the demo computations, active 4 of 4 and under review 0 of 4; a row opens its page', page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const { active, revised } = await demoComputations(context.request, coordinator);
    expect(active.status === 'active' && revised.status === 'review', `the hub has ${active.status} and ${revised.status}`);
    await signIn(page, 'coordinator');
    expect((await navItems(page)).includes('computations'), `coordinator's nav: ${(await navItems(page)).join(',')}`);
    await open(page, 'computations');
    expect((await page.textContent('.page h1')) === '联合计算', `heading ${await page.textContent('.page h1')}`);
    const row = (c) => `#computations-table tr[data-code="${c.code}"]`;
    for (const [c, badge, progress] of [
      [active, '已生效', `${active.reviews.length} / ${active.reviews.length} 家已批准`],
      [revised, '审核中', `0 / ${revised.reviews.length} 家已批准`],
    ]) {
      expect((await page.getAttribute(row(c), 'data-status')) === c.status, `${c.name} is listed as ${await page.getAttribute(row(c), 'data-status')}`);
      expect((await page.textContent(`${row(c)} .status-cell`)).trim() === badge, `${c.name}'s status: ${await page.textContent(`${row(c)} .status-cell`)}`);
      expect((await page.textContent(`${row(c)} td.progress`)).trim() === progress, `${c.name}'s review: ${await page.textContent(`${row(c)} td.progress`)}`);
      expect((await page.textContent(row(c))).includes('广州市政务服务和数据管理局'), `${c.name}'s owner is not named`);
    }
    expect(active.reviews.length === 4 && active.reviews.every((r) => r.decision === 'approved'), `the active computation's reviews: ${active.reviews.map((r) => r.decision).join(',')}`);

    await page.click(`${row(revised)} a.computation-link`);
    await page.waitForFunction((code) => location.hash === `#/computations/${code}`, revised.code);
    const view = `.page[data-page="computations"][data-view="detail"][data-code="${revised.code}"][data-state="ready"]`;
    await page.waitForSelector(view);
    expect((await page.textContent(`${view} h1`)) === REVISED_COMPUTATION, `detail heading ${await page.textContent(`${view} h1`)}`);
    expect(!(await page.$('#computation-approval')) && !(await page.$('#computation-run')), 'the coordinator is offered to review or run');
    await page.click('.back-link');
    await page.waitForSelector('.page[data-page="computations"][data-view="list"][data-state="ready"]');

    await page.selectOption('#lang-select', 'en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForSelector('.page[data-page="computations"][data-state="ready"]');
    expect((await page.textContent('.page h1')) === 'Joint computations', `English heading ${await page.textContent('.page h1')}`);
    expect((await page.textContent(`${row(revised)} .status-cell`)).trim() === 'Under review', 'the status is not in English');
    expect(!page.consoleErrors.length, `uncaught errors or CSP violations: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("tax's CDO reviews the revision: inputs, outputs, program and dependence shown; no rejection without an opinion; approved with one", page, async () => {
    const cdo = await apiSession(context.request, 'gzsw-cdo');
    const { revised } = await demoComputations(context.request, cdo);
    expect(revised.reviews.find((r) => r.provider_code === TAX)?.decision === 'pending', `tax's review of the revision is ${revised.reviews.find((r) => r.provider_code === TAX)?.decision}`);
    await signIn(page, 'gzsw-cdo');
    await open(page, 'computations');
    await page.click(`#computations-table tr[data-code="${revised.code}"] a.computation-link`);
    await page.waitForSelector(`.page[data-page="computations"][data-code="${revised.code}"][data-state="ready"]`);

    const inputs = await page.$$eval('#computation-inputs tbody tr[data-input]', (trs) => trs.map((tr) => ({ name: tr.dataset.input, text: tr.textContent })));
    expect(inputs.length === revised.inputs.length && revised.inputs.length === 4, `${inputs.length} inputs shown, the hub has ${revised.inputs.length}`);
    for (const input of revised.inputs) {
      const shown = inputs.find((i) => i.name === input.name);
      expect(shown && shown.text.includes(input.resource_code) && shown.text.includes(input.provider_code), `input ${input.name} is not shown with its resource and provider`);
      for (const item of input.items) expect(shown.text.includes(item), `input ${input.name}'s item ${item} is not shown`);
    }
    expect(COMPUTATION_PROVIDERS.every((p) => inputs.some((i) => i.text.includes(p))), 'not every provider has an input');
    const outputs = await page.$$eval('#computation-outputs tbody tr[data-output]', (trs) => trs.map((tr) => [tr.dataset.output, tr.cells[2].textContent]));
    expect(outputs.map(([n, title]) => `${n}:${title}`).join(',') === revised.outputs.map((o) => `${o.name}:${o.title}`).join(','), `outputs: ${outputs.join(' ')}`);
    expect((await page.textContent('#computation-program')) === revised.program, 'the program shown is not the hub\'s');
    for (const [output, items] of Object.entries(revised.dependence)) {
      const shown = await page.$$eval(`#computation-dependence tr[data-output="${output}"] .chip[data-item]`, (cs) => cs.map((c) => c.dataset.item));
      expect(shown.join(',') === items.join(','), `${output} depends on ${items.join(',')}; shown ${shown.join(',')}`);
    }
    const decisions = await page.$$eval('#computation-reviews tbody tr[data-provider]', (trs) => trs.map((tr) => tr.dataset.decision));
    expect(decisions.length === 4 && decisions.every((d) => d === 'pending'), `reviews shown: ${decisions.join(',')}`);
    const checklist = await page.textContent('#computation-approval .review-checklist');
    expect(checklist.includes('泄露') && checklist.includes('依赖'), `the checklist: ${checklist}`);

    // Rejecting without an opinion is stopped in the form, and nothing is sent.
    await page.click('#approval-form button[data-decision="reject"]');
    expect((await page.textContent('#approval-form .message.error')) === '驳回必须填写审核意见。', 'no message for a rejection without an opinion');
    expect(!page.requestedUrls.some((u) => u.endsWith('/approval')), 'a decision was sent');
    expect((await apiGet(context.request, cdo, `/computations/${revised.code}`)).reviews.find((r) => r.provider_code === TAX).decision === 'pending', 'the hub has a decision');

    const opinion = '输出不泄露纳税信用等级原值，依赖关系符合预期（浏览器测试）';
    await page.fill('#approval-opinion', opinion);
    await page.click('#approval-form button[data-decision="approve"]');
    const mine = `#computation-reviews tr[data-provider="${TAX}"]`;
    await page.waitForSelector(`${mine}[data-decision="approved"]`);
    expect((await page.textContent(`${mine} td.opinion`)) === opinion, `opinion shown: ${await page.textContent(`${mine} td.opinion`)}`);
    expect((await page.textContent(`${mine} td.decision`)).trim() === '已批准', 'not shown as 已批准');
    expect(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test((await page.textContent(`${mine} td.time`)).trim()), `decided at ${await page.textContent(`${mine} td.time`)}`);
    expect((await page.textContent('.page .flash .message.success')).includes(REVISED_COMPUTATION), 'no success message');
    expect(!(await page.$('#computation-approval')), 'the form is still offered');
    const after = await apiGet(context.request, cdo, `/computations/${revised.code}`);
    const review = after.reviews.find((r) => r.provider_code === TAX);
    expect(review.decision === 'approved' && review.opinion === opinion && review.decided_at, `the hub has ${JSON.stringify(review)}`);
    expect(after.status === 'review', `the revision is ${after.status} with three providers pending`);
    expect(!page.consoleErrors.length, `uncaught errors or CSP violations: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('the credit bureau runs the active computation: the run form, and without a subject authorisation the refusal in words', page, async () => {
    const bureau = await apiSession(context.request, 'gzzx-cdo');
    const { active, revised } = await demoComputations(context.request, bureau, ['active']);
    const grants = (await apiGet(context.request, bureau, `/grants?resource_code=${encodeURIComponent(active.code)}`)).items;
    expect(grants.some((g) => g.status === 'active'), `the bureau's grants on it: ${grants.map((g) => g.status).join(',') || 'none'}`);
    await signIn(page, 'gzzx-cdo');
    await openComputation(page, active.code);
    await page.waitForSelector('#computation-run-area:not([data-state="loading"])');
    expect((await page.getAttribute('#computation-run-area', 'data-state')) === 'ready', `the run area is ${await page.getAttribute('#computation-run-area', 'data-state')}`);
    expect(!(await page.$('#computation-approval')), 'the bureau is offered to review');
    expect((await page.getAttribute('#run-subject-key', 'autocomplete')) === 'off' && (await page.getAttribute('#run-subject-key', 'type')) === 'text', 'the key field may be remembered');

    // Nothing typed: stopped in the form, nothing sent.
    await page.click('#run-form button[data-action="run"]');
    await page.waitForSelector('#run-form .message.error');
    expect(!page.requestedUrls.some((u) => u.endsWith('/run')), 'a run was sent without a subject');

    await page.fill('#run-subject-key', DEMO_USCC);
    await page.fill('#run-purpose', '小微企业信用贷款审批（浏览器测试）');
    await page.click('#run-form button[data-action="run"]');
    await page.waitForSelector('#run-form:is([data-state="ready"], [data-state="refused"], [data-state="error"])');
    const result = await page.textContent('.run-out');
    expect((await page.getAttribute('#run-form', 'data-state')) === 'refused', `the run without an authorisation: ${result}`);
    const refusal = '.run-out .run-refusal';
    expect((await page.getAttribute(refusal, 'data-code')) === 'authorization_required' && (await page.getAttribute(refusal, 'data-status')) === '403', `refused with ${await page.getAttribute(refusal, 'data-status')} ${await page.getAttribute(refusal, 'data-code')}`);
    expect((await page.textContent(`${refusal} strong`)).startsWith('需要数据主体授权'), `the refusal says: ${await page.textContent(`${refusal} strong`)}`);
    expect(!(await page.$('#run-outputs')), 'outputs are shown for a refused run');

    // The key went to the hub only in the run's body: never in an address or in storage.
    expect(!page.url().includes(DEMO_USCC), `the key is in the page address: ${page.url()}`);
    expect(!page.requestedUrls.some((u) => u.includes(DEMO_USCC)), 'the key is in a URL requested');
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    expect(!stored.includes(DEMO_USCC), 'the key is kept in the browser storage');

    // The revision, under review and not the bureau's to review, offers neither form (when the
    // hub lists it to the bureau at all).
    if (revised) {
      await openComputation(page, revised.code);
      expect(!(await page.$('#computation-run')) && !(await page.$('#computation-approval')), 'the revision offers a run or a review to the bureau');
    }
    expect(!page.consoleErrors.length, `uncaught errors or CSP violations: ${page.consoleErrors[0]?.slice(0, 300)}`);
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check('an agency without a grant on the active computation (power supply) is not offered to run it', page, async () => {
    const power = await apiSession(context.request, 'gdgz-cdo');
    const { active } = await demoComputations(context.request, power, ['active']);
    const grants = (await apiGet(context.request, power, `/grants?resource_code=${encodeURIComponent(active.code)}`)).items;
    expect(!grants.some((g) => g.consumer_code === POWER && g.status === 'active'), 'power supply holds a grant on it');
    await signIn(page, 'gdgz-cdo');
    await openComputation(page, active.code);
    await page.waitForSelector('#computation-run-area:not([data-state="loading"])');
    expect((await page.getAttribute('#computation-run-area', 'data-state')) === 'no-grant', `the run area is ${await page.getAttribute('#computation-run-area', 'data-state')}`);
    expect(!(await page.$('#run-form')), 'the run form is offered without a grant');
    expect((await page.textContent('#computation-run-area .no-grant')).includes('没有该计算的有效授权'), 'no word on why');
    // Power supply approved it already: no review form either.
    expect(!(await page.$('#computation-approval')), 'a decided review is offered again');
  });
  await context.close();
}

// === registration by spreadsheet ===================================================================
{
  const { context, page } = await newPage();
  await check("the human resources data officer downloads the template, checks the demo's workbook (all unchanged) and is shown a bad CSV's errors by row", page, async () => {
    expect(process.env.HUB_DEMO_TOKENS, 'HUB_DEMO_TOKENS is not set (console.sh sets it)');
    const workbook = path.join(path.dirname(process.env.HUB_DEMO_TOKENS), 'demo-registration.xlsx');
    await signIn(page, 'gzrs-officer');
    await open(page, 'catalog');
    const template = await downloadOf(page, '#registration-template');
    expect(template.name === 'resource-template.xlsx', `the template is named ${template.name}`);
    expect(template.bytes.subarray(0, 2).toString('latin1') === 'PK', 'the template is not a zip package');
    await page.setInputFiles('#registration-file', workbook);
    await page.click('#registration-check');
    await page.waitForSelector('#registration-result .message.ok');
    const summary = await page.textContent('#registration-result .message');
    expect(summary.includes('2 个不变'), `the dry run says: ${summary}`);
    const actions = await page.$$eval('.registration-resources tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
    expect(actions.length === 2 && actions.every((a) => a === '不变'), `actions: ${actions.join(', ')}`);
    // A CSV whose header lacks the required columns: refused, nothing stored, the row named.
    await page.setInputFiles('#registration-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('name,summary\n就业登记信息,摘要\n') });
    await page.click('#registration-import');
    await page.waitForSelector('#registration-result .message.error');
    const places = await page.$$eval('.registration-errors tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(places.length > 0 && places.every((p) => p === 'CSV 第 1 行'), `errors at: ${places.join(', ')}`);
    expect(!page.requestedUrls.some((u) => u.includes('token')), 'a token in a URL');
  });
  await context.close();
}
const HUMAN_RESOURCES = '11440100FAJ0T55W64'; // 广州市人力资源和社会保障局
/** The market bureau's published 企业登记信息, as the coordinator finds it. */
async function marketRegistration(request) {
  const coordinator = await apiSession(request, 'coordinator');
  return (await apiGet(request, coordinator, `/resources?provider=${MARKET}&q=${encodeURIComponent('企业登记')}`)).items[0];
}

{
  const { context, page } = await newPage();
  await check('the human resources data officer publishes a draft from its catalog entry, then retires it after a confirmation', page, async () => {
    const officer = await apiSession(context.request, 'gzrs-officer');
    const source = (await apiGet(context.request, officer, `/resources?provider=${HUMAN_RESOURCES}&q=${encodeURIComponent('就业登记信息')}`)).items[0];
    expect(source, 'no 就业登记信息 in the demo');
    const full = await apiGet(context.request, officer, `/resources/${source.code}`);
    const keep = ['provider_code', 'summary', 'category', 'format', 'key', 'items', 'share_type', 'share_conditions', 'share_methods', 'update_cycle', 'legal_basis', 'class_code', 'release_date'];
    const name = `就业登记信息（控制台发布测试 ${Date.now()}）`;
    const draft = await apiPost(context.request, officer, '/resources', { ...Object.fromEntries(keep.filter((k) => k in full).map((k) => [k, full[k]])), name });
    expect(draft.status === 'draft', `a new resource is ${draft.status}`);
    await signIn(page, 'gzrs-officer');
    const detail = await expandResource(page, name, draft.code);
    const statusText = () => page.textContent(`${detail} .resource-status`);
    expect((await statusText()) === '草稿', `the status reads ${await statusText()}`);
    const offered = await page.$$eval(`${detail} .resource-lifecycle button[data-action]`, (bs) => bs.map((b) => `${b.dataset.action}:${b.textContent}`));
    expect(offered.join() === 'publish:发布,retire:撤回', `a draft offers ${offered.join()}`);
    await page.click(`${detail} .resource-lifecycle button[data-action="publish"]`);
    await page.click(`${detail} .action-form[data-action="publish"] button[data-confirm="publish"]`);
    await page.waitForSelector(`${detail} .resource-lifecycle .message.success`);
    expect((await statusText()) === '已发布', `after publishing the status reads ${await statusText()}`);
    expect((await apiGet(context.request, officer, `/resources/${draft.code}`)).status === 'published', 'not published in the hub');
    // Retiring is final: the first click only opens the confirmation; cancel keeps it published.
    await page.click(`${detail} .resource-lifecycle button[data-action="retire"]`);
    await page.click(`${detail} .action-form[data-action="retire"] button[data-cancel="retire"]`);
    expect((await apiGet(context.request, officer, `/resources/${draft.code}`)).status === 'published', 'a cancelled retirement retired it');
    await page.click(`${detail} .resource-lifecycle button[data-action="retire"]`);
    await page.click(`${detail} .action-form[data-action="retire"] button[data-confirm="retire"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '已下线', `${detail} .resource-status`);
    expect(!(await page.$(`${detail} .resource-lifecycle button[data-action]`)), 'a retired resource still offers a step');
    expect((await apiGet(context.request, officer, `/resources/${draft.code}`)).status === 'retired', 'not retired in the hub');
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check("another agency's data officer is offered no publish or retire on a published resource", page, async () => {
    await signIn(page, 'gzsw-officer');
    const registration = await marketRegistration(context.request);
    expect(registration?.status === 'published', `企业登记信息 is ${registration?.status}`);
    const detail = await expandResource(page, '企业登记', registration.code);
    expect((await page.textContent(`${detail} .resource-status`)) === '已发布', 'no status in the details');
    expect(!(await page.$(`${detail} .resource-lifecycle`)), "the tax bureau is offered the market bureau's resource's lifecycle");
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check("the human resources data officer registers a resource in the form (items with rules), is shown the hub's error at its item, then edits it into version 2", page, async () => {
    const officer = await apiSession(context.request, 'gzrs-officer');
    await signIn(page, 'gzrs-officer');
    await open(page, 'catalog');
    await page.click('#catalog-new');
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"] .resource-form');
    const f = (field) => `.resource-form [data-field="${field}"]`;
    const name = `职业技能竞赛获奖信息（控制台登记测试 ${Date.now()}）`;
    expect((await page.inputValue(f('provider_code'))).includes('人力资源'), 'the provider is not the officer’s agency');
    await page.fill(f('name'), name);
    await page.fill(f('summary'), '本市职业技能竞赛获奖人员及等级');
    await page.selectOption(f('category'), 'department');
    await page.selectOption(f('update_cycle'), 'monthly');
    await page.selectOption(f('share_type'), 'conditional');
    await page.fill(f('legal_basis'), '《广州市政务数据管理规定》');
    await page.fill(f('items[0].name'), 'cert_no');
    await page.fill(f('items[0].title'), '证书编号');
    await page.check(f('items[0].required'));
    await page.click('#resource-add-item');
    expect(await page.evaluate(() => document.activeElement?.dataset.field === 'items[1].name'), 'a new item does not take the focus');
    await page.keyboard.type('holder_id');
    await page.fill(f('items[1].title'), '获奖人身份证号');
    await page.selectOption(f('items[1].sensitivity'), 'sensitive');
    await page.selectOption(f('items[1].mask'), 'id_number');
    await page.click('#resource-items tr[data-item="1"] button[data-action="rules"]');
    await page.selectOption(f('items[1].check'), 'citizen_id');
    await page.click('#resource-add-item');
    await page.fill(f('items[2].name'), 'level');
    await page.fill(f('items[2].title'), '等级');
    await page.selectOption(f('items[2].type'), 'integer');
    await page.click('#resource-items tr[data-item="2"] button[data-action="rules"]');
    await page.fill(f('items[2].min'), '5');
    await page.fill(f('items[2].max'), '1');
    await page.selectOption(f('key'), 'cert_no');
    // The hub refuses max < min: the error is shown, at the item's control, and nothing is stored.
    await page.click('#resource-save');
    await page.waitForSelector(`${f('items[2].max')}[aria-invalid="true"]`);
    const refusal = await page.textContent('.resource-form .form-feedback');
    expect(refusal.includes('第 3 项（level）最大值'), `the form says: ${refusal}`);
    expect(await page.evaluate(() => document.activeElement?.dataset.field === 'items[2].max'), 'the wrong control is not focused');
    const none = await apiGet(context.request, officer, `/resources?provider=${HUMAN_RESOURCES}&q=${encodeURIComponent(name)}`);
    expect(none.items.length === 0, 'a refused registration was stored');
    await page.screenshot({ path: path.join(artifacts, 'resource-form-refused.png'), fullPage: true });
    await page.fill(f('items[2].min'), '1');
    await page.fill(f('items[2].max'), '5');
    await page.click('#resource-save');
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"] .flash .message.success');
    const flash = await page.textContent('.flash');
    const code = /[0-9A-Z]{18}-\d+/.exec(flash)?.[0];
    expect(code && flash.includes('草稿'), `the catalog says: ${flash}`);
    const stored = await apiGet(context.request, officer, `/resources/${code}`);
    const [cert, holder, level] = stored.items;
    expect(stored.name === name && stored.status === 'draft' && stored.key === 'cert_no' && stored.items.length === 3, `stored ${JSON.stringify(stored).slice(0, 200)}`);
    expect(cert.required && holder.mask === 'id_number' && holder.check === 'citizen_id' && level.type === 'integer' && level.min === 1 && level.max === 5, `items ${JSON.stringify(stored.items)}`);
    // Editing: the form opens with what is stored; one item removed, the summary changed.
    const detail = await expandResource(page, name, code);
    await page.click(`${detail} a[data-action="edit"]`);
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"] .resource-form');
    expect((await page.inputValue(f('items[1].name'))) === 'holder_id' && (await page.inputValue(f('items[1].mask'))) === 'id_number', 'the form does not show the stored items');
    await page.fill(f('summary'), '本市职业技能竞赛获奖人员');
    await page.click('#resource-items tr[data-item="2"] button[data-action="remove"]');
    await page.click('#resource-save');
    await page.waitForSelector('.page[data-page="catalog"][data-state="ready"] .flash .message.success');
    const saved = await page.textContent('.flash');
    expect(saved.includes(`${code} 已保存为第 2 版`), `the catalog says: ${saved}`);
    const edited = await apiGet(context.request, officer, `/resources/${code}`);
    expect(edited.version === 2 && edited.status === 'draft' && edited.summary === '本市职业技能竞赛获奖人员' && edited.items.map((i) => i.name).join() === 'cert_no,holder_id', `edited ${JSON.stringify(edited).slice(0, 300)}`);
    await apiPost(context.request, officer, `/resources/${code}/retire`);
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check("another agency's data officer is not offered to edit, and its form's address says so", page, async () => {
    await signIn(page, 'gzsw-officer');
    const registration = await marketRegistration(context.request);
    const detail = await expandResource(page, '企业登记', registration.code);
    expect(!(await page.$(`${detail} a[data-action="edit"]`)), 'the tax bureau is offered to edit the market bureau’s resource');
    await page.goto(`${consoleUrl}#/catalog/${registration.code}/edit`);
    await page.waitForSelector('.page[data-page="catalog"][data-state="no-access"]');
    expect(!(await page.$('.resource-form')), 'the form is shown');
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check('an agency operator is not offered registration by spreadsheet', page, async () => {
    await signIn(page, 'gzrs-operator');
    await open(page, 'catalog');
    expect(!(await page.$('#registration-card')), 'the registration card is shown to an operator');
  });
  await context.close();
}

// === returned data (数据回流) ======================================================================
{
  const { context, page } = await newPage();
  await check("the human resources data officer sees its agency's return tasks only, is stopped from sharing without a resource, and links one", page, async () => {
    await signIn(page, 'gzrs-officer');
    await open(page, 'returns');
    const numbers = await page.$$eval('#returns-table tbody tr[data-task-no]', (trs) => trs.map((tr) => tr.dataset.taskNo));
    expect(numbers.join() === 'HL-2026-007,HL-2026-010', `the officer sees tasks ${numbers.join()}`);
    expect(!(await page.$('#returns-import-card')) && !(await page.$('#returns-report')), 'a data officer is offered the import or the report');
    const row = '#returns-table tbody tr[data-task-no="HL-2026-010"]';
    const id = await page.getAttribute(row, 'data-id');
    await page.click(`${row} button[data-action="update"]`);
    await page.waitForSelector(`#return-status-${id}`);
    await page.$$eval(`#return-resources-${id} input[type="checkbox"]`, (boxes) => boxes.forEach((b) => (b.checked = false)));
    await page.selectOption(`#return-status-${id}`, 'sharing');
    await page.click('.action-form[data-action="update"] button[data-confirm="update"]');
    await page.waitForSelector('.action-form[data-action="update"] .decision-feedback .message.error');
    const refusal = await page.textContent('.action-form[data-action="update"] .decision-feedback');
    expect(refusal.includes('须关联至少一个资源'), `the form says: ${refusal}`);
    await page.selectOption(`#return-status-${id}`, 'connected');
    const linked = await page.$eval(`#return-resources-${id} input[type="checkbox"]`, (b) => {
      b.checked = true;
      return b.value;
    });
    const flash = await confirmAction(page, 'update', 'returns');
    expect(flash.includes('HL-2026-010') && flash.includes('已对接'), `the flash says: ${flash}`);
    expect((await page.getAttribute(row, 'data-status')) === 'connected', 'the task did not move on');
    const officer = await apiSession(context.request, 'gzrs-officer');
    const stored = (await apiGet(context.request, officer, '/return-tasks')).items.find((t) => t.task_no === 'HL-2026-010');
    expect(stored?.status === 'connected' && stored.resource_codes.includes(linked), `stored: ${JSON.stringify(stored)}`);
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check('the coordinator sees every return task, the report by ministry, and a bad return list refused by line', page, async () => {
    await signIn(page, 'coordinator');
    await open(page, 'returns');
    const rows = await page.$$eval('#returns-table tbody tr[data-task-no]', (trs) => trs.length);
    expect(rows === 10, `the coordinator sees ${rows} tasks`);
    const ministries = await page.$$eval('#returns-ministries tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(ministries.length === 6 && ministries.includes('国家税务总局'), `ministries: ${ministries.join(',')}`);
    const csv = await downloadOf(page, '#returns-report-csv');
    expect(csv.name === 'returns.csv' && csv.bytes.length > 0, `the CSV is ${csv.name}, ${csv.bytes.length} bytes`);
    await page.setInputFiles('#returns-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('task_no,title,ministry,responsible_agency_code,due_date\nHL-X,标题,公安部,NOT-A-CODE,2026-13-40\n') });
    await page.click('#returns-import');
    await page.waitForSelector('#returns-import-errors tbody tr');
    const lines = await page.$$eval('#returns-import-errors tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    expect(lines.length > 0 && lines.every((l) => l === '2'), `errors on lines ${lines.join(',')}`);
    const coordinator = await apiSession(context.request, 'coordinator');
    expect(!(await apiGet(context.request, coordinator, '/return-tasks')).items.some((t) => t.task_no === 'HL-X'), 'a refused list stored a task');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("a data officer applies for another agency's conditional dataset from its catalog entry (a missing purpose stopped in the form), sees it pending with its due date under 我的申请, and withdraws it", page, async () => {
    const officer = await apiSession(context.request, 'gzsw-officer');
    const me = await apiGet(context.request, officer, '/me');
    const pendingOf = async (code) =>
      (await apiGet(context.request, officer, '/applications?direction=outgoing&status=pending&limit=100')).items.filter((a) => a.resource_code === code);
    const pendingCodes = new Set((await apiGet(context.request, officer, '/applications?direction=outgoing&status=pending&limit=100')).items.map((a) => a.resource_code));
    const target = (await apiGet(context.request, officer, '/resources?limit=100')).items.find(
      (r) => (r.kind ?? 'dataset') === 'dataset' && r.status === 'published' && r.share_type === 'conditional' && r.provider_code !== me.agency_code && !pendingCodes.has(r.code),
    );
    expect(target, 'no conditional dataset of another agency without a pending application');
    await signIn(page, 'gzsw-officer');
    const detail = await expandResource(page, target.name, target.code);
    await page.click(`${detail} a[data-action="apply"]`);
    const form = '.page[data-page="catalog"][data-state="ready"] form[data-action="apply"]';
    await page.waitForSelector(form);
    expect(new URL(page.url()).hash === `#/catalog/${target.code}/apply`, `the form's address is ${page.url()}`);
    // Without a purpose: stopped in the form, at the purpose, and nothing is sent.
    await page.fill('#apply-purpose', ' ');
    await page.click(`${form} button[data-confirm="apply"]`);
    await page.waitForSelector(`${form} .decision-feedback .message.error`);
    expect((await page.evaluate(() => document.activeElement?.id)) === 'apply-purpose', 'the purpose is not focused');
    expect(!(await pendingOf(target.code)).length, 'an application was sent without a purpose');
    const purpose = '纳税人登记信息核对（控制台申请测试）';
    await page.fill('#apply-purpose', purpose);
    await page.click(`${form} button[data-confirm="apply"]`);
    await page.waitForSelector('.apply-result .message.success');
    await page.locator('.apply-result').scrollIntoViewIfNeeded();
    await docShot(page, 'apply');
    const text = await page.textContent('.apply-result .message.success');
    expect(/等待提供方审核；办理时限：\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text), `the answer reads ${text}`);
    const [sent] = await pendingOf(target.code);
    expect(sent?.purpose === purpose && sent.operations.join() === 'read' && sent.items.length === target.item_count, `the hub holds ${JSON.stringify(sent)}`);
    // 我的申请: pending with its due date; withdrawn after a confirmation.
    await page.click('.apply-result a[href="#/applications"]');
    const row = `#applications-table tr[data-id="${sent.id}"]`;
    await page.waitForSelector(`.page[data-page="applications"][data-state="ready"] ${row}[data-status="pending"]`);
    await page.click(`${row} button[data-action="withdraw"]`);
    await page.click('form[data-action="withdraw"] button[data-confirm="withdraw"]');
    await page.waitForSelector(`.page[data-page="applications"][data-state="ready"] ${row}[data-status="withdrawn"]`);
    expect(!(await page.$(`${row} button[data-action="withdraw"]`)), 'a withdrawn application still offers withdrawal');
    expect((await apiGet(context.request, officer, `/applications/${sent.id}`)).status === 'withdrawn', 'not withdrawn in the hub');
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await context.close();
}


// === people and systems (人员与系统), my account (我的账户) =========================================
{
  const { context, page } = await newPage();
  await check("the tax bureau's CDO creates a system, issues its token (shown once, copied), which the hub then accepts, and revokes it, which the hub then refuses", page, async () => {
    const cdo = await apiSession(context.request, 'gzsw-cdo');
    const me = await apiGet(context.request, cdo, '/me');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(hubUrl).origin });
    await signIn(page, 'gzsw-cdo');
    expect((await navItems(page)).includes('people'), 'no people page for a CDO');
    await open(page, 'people');
    // Its own agency's principals only, with a CDO's roles to give.
    const agencies = await page.$$eval('#people-table tbody tr[data-id] td:nth-child(4)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
    expect(agencies.length === 1, `the CDO sees principals of ${agencies.join(',')}`);
    const offered = await page.$$eval('#new-principal-roles input', (boxes) => boxes.map((b) => b.value));
    expect(offered.join() === 'agency_cdo,agency_data_officer,agency_operator,agency_system', `roles offered: ${offered.join()}`);
    // Nothing named: stopped in the form.
    await page.selectOption('#new-principal-kind', 'system');
    await refusedEmpty(page, 'create-principal');
    const name = `gzsw-billing-${Date.now() % 100000}`;
    await page.fill('#new-principal-name', name);
    const flash = await confirmAction(page, 'create-principal', 'people');
    expect(flash.includes(name), `the flash says: ${flash}`);
    const created = (await apiGet(context.request, cdo, `/principals?agency=${me.agency_code}&limit=1000`)).items.find((p) => p.name === name);
    expect(created?.kind === 'system' && created.roles.join() === 'agency_system', `the hub holds ${JSON.stringify(created)}`);
    // Its tokens panel is open: issue one, shown once with a warning, copied.
    await page.waitForSelector(`.tokens-panel[data-principal="${created.id}"]`);
    await page.selectOption(`#token-days-${created.id}`, '30');
    await page.click('.action-form[data-action="issue-token"] button[data-confirm="issue-token"]');
    await page.waitForSelector('.token-once .token-text');
    const token = await page.inputValue('.token-once .token-text');
    expect(/^hub_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(token), `the token shown is ${token}`);
    expect((await page.textContent('.token-once')).includes('只显示这一次'), 'no warning that it is shown once');
    await page.locator('.tokens-panel').scrollIntoViewIfNeeded();
    await docShot(page, 'token');
    await page.click('.token-once button[data-copy]');
    await page.waitForFunction(() => document.querySelector('.token-once [aria-live]')?.textContent.length > 0);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied === token, 'the clipboard does not hold the token');
    const asSystem = await context.request.get(`${hubUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(asSystem.status() === 200 && (await asSystem.json()).name === name, `the new token answers ${asSystem.status()}`);
    const listed = (await apiGet(context.request, cdo, `/principals/${created.id}/tokens`)).items;
    expect(listed.length === 1 && token.startsWith(`hub_${listed[0].prefix}_`), `the hub lists ${JSON.stringify(listed)}`);
    const days = (Date.parse(listed[0].expires_at) - Date.now()) / 86_400_000;
    expect(days > 29 && days <= 30, `the token lives ${days.toFixed(1)} days`);
    // The list shows its prefix only; revoked from the panel, the hub refuses it.
    const tokenRow = `.tokens-panel tr[data-token-id="${listed[0].id}"]`;
    await page.waitForSelector(`${tokenRow}[data-state="active"]`);
    expect(!(await page.textContent('.tokens-table')).includes(token), 'the list shows the whole token');
    await page.click(`${tokenRow} button[data-action="revoke-token"]`);
    await page.waitForSelector(`${tokenRow}[data-state="revoked"]`);
    const refused = await context.request.get(`${hubUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status() === 401, `the revoked token answers ${refused.status()}`);
    // Reloaded, the page shows no token again.
    await open(page, 'people');
    expect(!(await page.content()).includes(token), 'the token is still in the page after a reload');
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await check("the CDO creates a person with a generated password and disables it; a data officer is not offered the page", page, async () => {
    const name = `gzsw-clerk-${Date.now() % 100000}`;
    await page.selectOption('#new-principal-kind', 'user');
    await page.fill('#new-principal-name', name);
    await page.check('#new-principal-role-agency_operator');
    await page.fill('#new-principal-password', 'short');
    await refusedEmpty(page, 'create-principal');
    await page.click('button[data-generate="new-principal-password"]');
    const password = await page.inputValue('#new-principal-password');
    expect(password.length === 16, `the generated password is ${password.length} characters`);
    await confirmAction(page, 'create-principal', 'people');
    const session = await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password } });
    expect(session.ok(), `the new person cannot sign in: ${session.status()}`);
    const row = page.locator('#people-table tbody tr[data-id]', { hasText: name });
    await row.locator('button[data-action="disable"]').click();
    await confirmAction(page, 'disable', 'people');
    expect((await page.locator('#people-table tbody tr[data-id]', { hasText: name }).getAttribute('data-disabled')) === 'true', 'not shown disabled');
    const again = await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password } });
    expect(again.status() === 401, `a disabled person signs in: ${again.status()}`);
    const officer = await newPage();
    await signIn(officer.page, 'gzsw-officer');
    expect(!(await navItems(officer.page)).includes('people'), 'a data officer is offered people and systems');
    await officer.page.goto(`${consoleUrl}#/people`);
    await officer.page.waitForSelector('.page[data-page="people"][data-state="no-access"]');
    await officer.context.close();
  });
  await context.close();
}
{
  const { context, page } = await newPage();
  await check('a person changes its own password on 我的账户 (a wrong current one said at its field), its other session ends, and signing out there ends this one', page, async () => {
    const admin = process.env.HUB_ADMIN_TOKEN;
    expect(admin, 'HUB_ADMIN_TOKEN is not set');
    const tax = (await apiGet(context.request, admin, '/agencies?limit=1000')).items.find((a) => DEMO_PREFIX[a.code] === 'gzsw');
    const name = `gzsw-analyst-${Date.now() % 100000}`;
    const first = 'first-password-2026';
    const second = '珠江新城-battery-staple';
    await apiPost(context.request, admin, '/principals', { agency_code: tax.code, name, kind: 'user', roles: ['agency_data_officer'], password: first });
    const other = await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password: first } });
    const otherToken = (await other.json()).token;
    await page.goto(consoleUrl);
    await page.fill('#signin-name', name);
    await page.fill('#signin-password', first);
    await page.click('#signin-submit');
    await page.waitForSelector('.sidenav a');
    await page.click('#user-name a');
    await page.waitForSelector('.page[data-page="account"][data-state="ready"]');
    expect((await page.$$('#account-tokens tr[data-current="true"]')).length === 1, 'the session in use is not marked');
    await docShot(page, 'account');
    await page.fill('#account-current', 'not-my-password');
    await page.fill('#account-new', second);
    await page.fill('#account-repeat', second);
    await page.click('#account-change');
    await page.waitForSelector('#account-password .message.error');
    expect((await page.getAttribute('#account-current', 'aria-invalid')) === 'true', 'the wrong current password is not marked');
    expect((await page.evaluate(() => document.activeElement?.id)) === 'account-current', 'the current password is not focused');
    await page.fill('#account-current', first);
    await page.fill('#account-repeat', `${second}x`);
    await page.click('#account-change');
    await page.waitForSelector('#account-password .message.error');
    expect((await page.getAttribute('#account-repeat', 'aria-invalid')) === 'true', 'differing new passwords are not marked');
    await page.fill('#account-repeat', second);
    await page.$eval('.page', (el) => (el.dataset.stale = 'true'));
    await page.click('#account-change');
    await page.waitForSelector('.page[data-page="account"][data-state="ready"]:not([data-stale]) .flash .message.success');
    const flash = await page.textContent('.flash');
    expect(flash.includes('1 个登录会话已结束'), `the flash says: ${flash}`);
    const otherNow = await context.request.get(`${hubUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${otherToken}` } });
    expect(otherNow.status() === 401, `the other session answers ${otherNow.status()}`);
    const oldPassword = await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password: first } });
    expect(oldPassword.status() === 401, `the old password signs in: ${oldPassword.status()}`);
    // Signing out from the account page ends this session in the hub too.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('hub.session'))?.token);
    await page.click('#account-tokens tr[data-current="true"] button[data-action="sign-out-here"]');
    await page.waitForSelector('#signin-form');
    const after = await context.request.get(`${hubUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(after.status() === 401, `the ended session answers ${after.status()}`);
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await check('signing out from the header ends the session in the hub, not only in the page', page, async () => {
    await signIn(page, 'gzsw-officer');
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('hub.session'))?.token);
    await page.click('#sign-out');
    await page.waitForSelector('#signin-form');
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; ++i) {
      status = (await context.request.get(`${hubUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).status();
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status === 401, `the signed-out session answers ${status}`);
  });
  await context.close();
}

// === objections (数据异议) ===========================================================================
{
  const { context, page } = await newPage();
  let raised = null;
  await check("the tax bureau's data officer reads a registration under its grant, objects to an item (nothing ticked stopped in the form), and sees it open", page, async () => {
    const officer = await apiSession(context.request, 'gzsw-officer');
    const me = await apiGet(context.request, officer, '/me');
    const grant = (await apiGet(context.request, officer, '/grants?limit=100')).items.find((g) => g.consumer_code === me.agency_code && g.status === 'active' && g.operations.includes('read') && g.operations.includes('query'));
    expect(grant, 'the tax bureau holds no read and query grant');
    const listed = await context.request.get(`${hubUrl}/api/v1/resources/${grant.resource_code}/records?limit=5`, {
      headers: { Authorization: `Bearer ${officer}`, 'X-Purpose': encodeURIComponent(grant.purpose) },
    });
    expect(listed.ok(), `query: ${listed.status()} ${(await listed.text()).slice(0, 200)}`);
    const record = (await listed.json()).items.at(-1);
    expect(record?.key, 'no record with its key to object to');
    await signIn(page, 'gzsw-officer');
    await open(page, 'objections');
    await page.selectOption('#objection-grant', grant.id);
    await page.fill('#objection-key', record.key);
    await page.click('#objection-read');
    await page.waitForSelector('#objection-record-table tbody tr');
    const rows = await page.$$eval('#objection-record-table tbody tr', (trs) => trs.map((tr) => tr.dataset.item));
    expect(rows.length === grant.items.length && rows.every((i) => grant.items.includes(i)), `the record shows ${rows.join()} of ${grant.items.join()}`);
    expect(await page.$('.objection-record a[href^="#/ledger?request_id=console-objection-"]'), 'no link to the read’s ledger entry');
    await page.fill('#objection-description', '企业名称与营业执照不一致（控制台异议测试）');
    await refusedEmpty(page, 'raise-objection');
    await page.check('#objection-item-name');
    const flash = await confirmAction(page, 'raise-objection', 'objections');
    expect(flash.includes('提出异议'), `the flash says: ${flash}`);
    raised = (await apiGet(context.request, officer, '/objections?direction=outgoing&status=open&limit=100')).items.find((o) => o.key === record.key && o.items.join() === 'name');
    expect(raised?.description === '企业名称与营业执照不一致（控制台异议测试）', `the hub holds ${JSON.stringify(raised)}`);
    await page.waitForSelector(`#objections-outgoing tr[data-id="${raised.id}"][data-status="open"]`);
    await docShot(page, 'objections');
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  const provider = await newPage();
  await check("market regulation's data officer is refused 'corrected' without a new version, rejects the objection with a note, and the tax bureau sees the outcome", provider.page, async () => {
    expect(raised, 'no objection was raised');
    const p = provider.page;
    await signIn(p, 'gzsc-officer');
    await open(p, 'objections');
    const row = `#objections-incoming tr[data-id="${raised.id}"]`;
    await p.waitForSelector(`${row}[data-status="open"]`);
    await p.click(`${row} button[data-action="resolve"]`);
    await p.fill(`#resolve-note-${raised.id}`, '已核对');
    await p.check(`#resolve-corrected-${raised.id}`);
    await p.click('.action-form[data-action="resolve"] button[data-confirm="resolve"]');
    await p.waitForSelector('.action-form[data-action="resolve"] .decision-feedback .message.error[data-status="409"]');
    await p.check(`#resolve-rejected-${raised.id}`);
    await p.fill(`#resolve-note-${raised.id}`, '经核对，登记名称与营业执照一致，不予更正');
    const flash = await confirmAction(p, 'resolve', 'objections');
    expect(flash.includes('不予更正'), `the flash says: ${flash}`);
    await p.waitForSelector(`${row}[data-outcome="rejected"]`);
    // The consumer's page, read again (the same address: reloaded).
    await page.reload();
    await page.waitForSelector('.page[data-page="objections"][data-state="ready"]');
    const outcome = await page.textContent(`#objections-outgoing tr[data-id="${raised.id}"][data-status="resolved"] td.opinion`);
    expect(outcome.includes('不予更正') && outcome.includes('登记名称与营业执照一致'), `the consumer sees: ${outcome}`);
  });
  await provider.context.close();
  await context.close();
}

// === reading a record under a grant, from the catalog ================================================
{
  const { context, page } = await newPage();
  await check("the tax bureau's data officer reads a registration from its catalog entry under the approved grant (masked as granted), verifies the read's ledger entry, and goes on to object to it", page, async () => {
    const officer = await apiSession(context.request, 'gzsw-officer');
    const me = await apiGet(context.request, officer, '/me');
    const grant = (await apiGet(context.request, officer, '/grants?limit=100')).items.find((g) => g.consumer_code === me.agency_code && g.status === 'active' && g.operations.includes('read') && g.operations.includes('query'));
    const resource = await apiGet(context.request, officer, `/resources/${grant.resource_code}`);
    const listed = await context.request.get(`${hubUrl}/api/v1/resources/${grant.resource_code}/records?limit=2`, {
      headers: { Authorization: `Bearer ${officer}`, 'X-Purpose': encodeURIComponent(grant.purpose) },
    });
    const key = (await listed.json()).items[0].key;
    await signIn(page, 'gzsw-officer');
    const detail = await expandResource(page, resource.name, resource.code);
    await page.waitForSelector(`${detail} .record-reader form`);
    await page.fill(`#read-key-${resource.code}`, key);
    await page.click(`#read-${resource.code}`);
    await page.waitForSelector(`${detail} .record-reader .record-view[data-status="200"]`);
    const shownItems = await page.$$eval(`${detail} .record-reader tbody tr`, (trs) => trs.map((tr) => tr.dataset.item));
    expect(shownItems.length > 0 && shownItems.every((i) => grant.items.includes(i)), `shown: ${shownItems.join()}, granted: ${grant.items.join()}`);
    const masked = resource.items.find((i) => i.sensitivity === 'sensitive' && grant.items.includes(i.name) && !grant.clear_items.includes(i.name));
    if (masked) {
      const value = await page.textContent(`${detail} .record-reader tr[data-item="${masked.name}"] td`);
      expect(value.includes('*') || value === '—', `${masked.name} is not masked: ${value}`);
    }
    const link = await page.getAttribute(`${detail} .record-reader a.ledger-link`, 'href');
    expect(link?.startsWith('#/ledger?request_id=console-read-'), `ledger link ${link}`);
    await page.click(`${detail} .record-reader a[data-action="object"]`);
    await page.waitForSelector('.page[data-page="objections"][data-state="ready"] #objection-key');
    expect((await page.inputValue('#objection-key')) === key, 'the key is not carried to the objection');
    expect((await page.inputValue('#objection-grant')) === grant.id, 'the grant is not chosen');
    // The read's entry, checked in the browser once a checkpoint covers it (sealed within seconds).
    let verdict = null;
    for (const deadline = Date.now() + 8000; verdict !== 'passed' && Date.now() < deadline; ) {
      await page.goto(`${consoleUrl}${link}`);
      await page.reload();
      await page.waitForSelector('.page[data-page="ledger"]:not([data-state="loading"]) .ledger-result');
      verdict = await page.getAttribute('.page[data-page="ledger"] .ledger-result', 'data-verdict');
      if (verdict !== 'passed') await new Promise((r) => setTimeout(r, 500));
    }
    expect(verdict === 'passed', `the read's ledger entry: ${verdict}`);
    expect((await page.textContent('.entry-fields dd[data-field="request_id"]')).includes(link.split('=')[1]), 'another entry is shown');
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await context.close();
}

// === records (数据维护) =============================================================================
/** A citizen ID number with its GB 11643 check character. */
function citizenId(seventeen) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...seventeen].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return seventeen + '10X98765432'[sum % 11];
}
{
  const { context, page } = await newPage();
  await check("human resources' operator loads 10,000 records in parts (counts rising as each part is answered, bad lines named by their line in the file) and enters one record from the form", page, async () => {
    const operator = await apiSession(context.request, 'gzrs-operator');
    const me = await apiGet(context.request, operator, '/me');
    const summary = (await apiGet(context.request, operator, `/resources?provider=${me.agency_code}&status=published&limit=100`)).items.find((r) => r.name === '社会保险缴费信息');
    expect(summary, 'no 社会保险缴费信息 of human resources');
    const resource = await apiGet(context.request, operator, `/resources/${summary.code}`);
    const before = resource.record_count;
    const valueOf = (name, fallback) => resource.items.find((i) => i.name === name)?.enum?.[0] ?? fallback;
    const lines = [];
    const bad = [];
    for (let i = 1; i <= 10_000; i++) {
      const record = {
        person_id: citizenId(`4401061985${String(i).padStart(7, '0')}`),
        name: `测试人员${i}`,
        employer_name: '广州市某科技有限公司（控制台导入测试）',
        insurance_type: valueOf('insurance_type', '养老保险'),
        paid_months: i % 2500 === 0 ? '不是数字' : 12 + (i % 300),
        last_paid: '2026-11-15',
        district: valueOf('district', '440106'),
      };
      if (i % 2500 === 0) bad.push(i);
      lines.push(JSON.stringify(record));
    }
    const buffer = Buffer.from(`${lines.join('\n')}\n`);
    expect(buffer.length > 2 * 1048576, `the file is only ${buffer.length} bytes`);
    await signIn(page, 'gzrs-operator');
    expect((await navItems(page)).includes('records'), 'no records page for an operator');
    await open(page, 'records');
    await page.selectOption('#records-resource', summary.code);
    await page.waitForSelector('.page[data-page="records"][data-state="ready"] #records-upload-form');
    expect(new URL(page.url()).hash === `#/records/${summary.code}`, `the address is ${page.url()}`);
    // Every value the counts take, as the page shows them.
    await page.evaluate(() => {
      window.seenAccepted = [];
      const el = document.getElementById('records-counts');
      new MutationObserver(() => window.seenAccepted.push(Number(el.dataset.accepted))).observe(el, { attributes: true, attributeFilter: ['data-accepted'] });
    });
    await page.setInputFiles('#records-file', { name: '参保缴费.ndjson', mimeType: 'application/x-ndjson', buffer });
    await page.click('#records-upload');
    await page.waitForSelector('#records-result .message.warning', { timeout: 120_000 });
    await page.locator('#records-upload-card').scrollIntoViewIfNeeded();
    await docShot(page, 'records');
    const seen = [...new Set(await page.evaluate(() => window.seenAccepted))].filter((n) => n > 0);
    expect(seen.length >= 3, `the accepted count took ${seen.join(', ')}`);
    const accepted = Number(await page.getAttribute('#records-counts', 'data-accepted'));
    const rejected = Number(await page.getAttribute('#records-counts', 'data-rejected'));
    expect(accepted === 10_000 - bad.length && rejected === bad.length, `accepted ${accepted}, rejected ${rejected}`);
    const errorLines = await page.$$eval('#records-errors-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.line)));
    expect(errorLines.join() === bad.join(), `errors on lines ${errorLines.join()}, not ${bad.join()}`);
    expect(Number(await page.getAttribute('#records-progress', 'value')) === buffer.length, 'the bar did not reach the end');
    const after = (await apiGet(context.request, operator, `/resources/${summary.code}`)).record_count;
    expect(after === before + accepted, `the hub holds ${after} records, ${before} before`);
    await page.waitForFunction((n) => document.querySelector('#records-facts [data-field="record_count"]')?.textContent.replace(/[^0-9]/g, '') === String(n), after);
    // One record from the form: a required item left out is stopped at it; then saved.
    await page.fill('#record-item-person_id', citizenId('44010619900307123'));
    await page.fill('#record-item-name', '林晓');
    await page.click('#record-push');
    await page.waitForSelector('#record-form .message.error');
    expect((await page.evaluate(() => document.activeElement?.id)) === 'record-item-insurance_type', `the focus is on ${await page.evaluate(() => document.activeElement?.id)}`);
    const insurance = await page.$('#record-item-insurance_type');
    if ((await insurance.evaluate((el) => el.tagName)) === 'SELECT') await insurance.selectOption({ index: 1 });
    else await insurance.fill(valueOf('insurance_type', '养老保险'));
    await page.fill('#record-item-paid_months', '36');
    await page.fill('#record-item-monthly_base', '8567.50');
    await page.click('#record-push');
    await page.waitForSelector('#record-form .message.success');
    const saved = await page.textContent('#record-form .message.success');
    expect(saved.includes('版本 1'), `the page says ${saved}`);
    const final = (await apiGet(context.request, operator, `/resources/${summary.code}`)).record_count;
    expect(final === after + 1, `the hub holds ${final} records after the push, ${after} before`);
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await context.close();
}

// === to do (待办) ===================================================================================
{
  const { context, page } = await newPage();
  await check("market regulation's CDO lands on 待办: each section counts what the hub lists for the agency, overdue first, and leads to its page", page, async () => {
    const cdo = await apiSession(context.request, 'gzsc-cdo');
    const me = await apiGet(context.request, cdo, '/me');
    const pending = (await apiGet(context.request, cdo, '/applications?direction=incoming&status=pending&limit=200')).items;
    const objections = (await apiGet(context.request, cdo, '/objections?direction=incoming&status=open&limit=200')).items.filter((o) => o.provider_code === me.agency_code);
    const alerts = (await apiGet(context.request, cdo, '/alerts?status=open&limit=200')).items;
    await signIn(page, 'gzsc-cdo');
    await page.waitForSelector('.page[data-page="todo"][data-state="ready"]');
    expect(new URL(page.url()).hash === '#/todo', `a CDO lands on ${page.url()}`);
    await docShot(page, 'todo');
    const count = async (section) => Number(await page.getAttribute(`.todo-section[data-section="${section}"]`, 'data-count'));
    expect((await count('decide')) === pending.length && pending.length > 0, `decide: ${await count('decide')}, the hub lists ${pending.length}`);
    expect((await count('objections')) === objections.length, `objections: ${await count('objections')}, the hub lists ${objections.length}`);
    expect((await count('alerts')) === alerts.length, `alerts: ${await count('alerts')}, the hub lists ${alerts.length}`);
    // The first listed is the most urgent: overdue, else the soonest due.
    const firstId = await page.getAttribute('.todo-section[data-section="decide"] .todo-item', 'data-id');
    const urgent = [...pending].sort((a, b) => String(a.due_at).localeCompare(String(b.due_at)))[0];
    expect(firstId === urgent.id, `the first application listed is ${firstId}, the soonest due ${urgent.id}`);
    await page.click('.todo-section[data-section="decide"] h2 a');
    await page.waitForSelector('.page[data-page="inbox"][data-state="ready"]');
    expect(!page.consoleErrors.length, `console errors: ${page.consoleErrors.join('; ')}`);
  });
  await context.close();
}

// === the keyboard alone ==============================================================================
{
  const { context, page } = await newPage();
  await check('with the keyboard alone: sign in, reach 我的账户 from the navigation, and change the password, the fields in order', page, async () => {
    const admin = process.env.HUB_ADMIN_TOKEN;
    const tax = (await apiGet(context.request, admin, '/agencies?limit=1000')).items.find((a) => DEMO_PREFIX[a.code] === 'gzsw');
    const name = `gzsw-keyboard-${Date.now() % 100000}`;
    const first = 'keyboard-first-2026';
    const second = 'keyboard-second-2026';
    await apiPost(context.request, admin, '/principals', { agency_code: tax.code, name, kind: 'user', roles: ['agency_operator'], password: first });
    await page.goto(consoleUrl);
    await page.waitForSelector('#signin-form');
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('href') || document.activeElement?.tagName);
    expect((await focused()) === 'signin-name', `the sign-in form starts at ${await focused()}`);
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    expect((await focused()) === 'signin-password', `Tab from the name goes to ${await focused()}`);
    await page.keyboard.type(first);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.page[data-page="todo"][data-state="ready"]');
    // Tab through the page until the navigation's 我的账户 link has the focus.
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused()) === '#/account';
    }
    expect(reached, 'Tab never reached 我的账户 in the navigation');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.page[data-page="account"][data-state="ready"]');
    for (let i = 0; i < 80 && (await focused()) !== 'account-current'; i++) await page.keyboard.press('Tab');
    expect((await focused()) === 'account-current', 'Tab never reached the current password');
    await page.keyboard.type(first);
    await page.keyboard.press('Tab');
    expect((await focused()) === 'account-new', `after the current password: ${await focused()}`);
    await page.keyboard.type(second);
    await page.keyboard.press('Tab');
    expect((await focused()) === 'account-repeat', `after the new password: ${await focused()}`);
    await page.keyboard.type(second);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.page[data-page="account"][data-state="ready"] .flash .message.success');
    const signedIn = await context.request.post(`${hubUrl}/api/v1/sessions`, { data: { name, password: second } });
    expect(signedIn.ok(), `the new password does not sign in: ${signedIn.status()}`);
  });
  await context.close();
}

// === lists: sorted by a heading, filtered by a box =================================================
{
  const { context, page } = await newPage();
  await check("hub_admin's list of every principal sorts by a heading either way (aria-sort says which) and filters by text", page, async () => {
    await signIn(page, 'console-admin');
    await open(page, 'people');
    const names = () => page.$$eval('#people-table tbody tr[data-id]:not([hidden])', (trs) => trs.map((tr) => tr.dataset.name));
    const all = await names();
    expect(all.length > 8, `only ${all.length} principals listed`);
    const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' });
    const heading = '#people-table thead th:nth-child(1)';
    await page.click(`${heading} button.sort-button`);
    expect((await page.getAttribute(heading, 'aria-sort')) === 'ascending', 'aria-sort is not ascending');
    const up = await names();
    expect(up.join() === [...all].sort(collator.compare).join(), `ascending: ${up.slice(0, 5).join()}`);
    await page.click(`${heading} button.sort-button`);
    expect((await page.getAttribute(heading, 'aria-sort')) === 'descending', 'aria-sort is not descending');
    const down = await names();
    expect(down.join() === [...up].reverse().join(), `descending: ${down.slice(0, 5).join()}`);
    await page.fill('#people-table-filter', 'gzsw-');
    const filtered = await names();
    expect(filtered.length > 0 && filtered.length < all.length && filtered.every((n) => n.includes('gzsw-')), `filtered: ${filtered.join()}`);
    expect(filtered.length === all.filter((n) => n.includes('gzsw-')).length, 'the filter left out a matching row');
    await page.fill('#people-table-filter', '');
    expect((await names()).length === all.length, 'clearing the filter does not bring every row back');
  });
  await context.close();
}

{
  const { context, page } = await newPage();
  await check("the coordinator's list of every grant comes a page at a time and is filtered by consumer in the hub", page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const all = (await apiGet(context.request, coordinator, '/grants?limit=1000')).items;
    const tax = Object.keys(DEMO_PREFIX).find((c) => DEMO_PREFIX[c] === 'gzsw');
    const taxs = all.filter((g) => g.consumer_code === tax);
    expect(taxs.length > 0, 'the tax bureau holds no grant');
    await signIn(page, 'coordinator');
    await open(page, 'grants');
    const rows = () => page.$$eval('#grants-all tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
    expect((await rows()).length === Math.min(all.length, 100), `${(await rows()).length} rows of ${all.length}`);
    await page.selectOption('#grants-consumer', tax);
    await page.waitForFunction(() => location.hash.includes('consumer='));
    await page.waitForSelector('.page[data-page="grants"][data-state="ready"] #grants-all');
    const shown = await rows();
    expect(shown.length === taxs.length && shown.every((id) => taxs.some((g) => g.id === id)), `consumer filter: ${shown.length} rows, the hub holds ${taxs.length}`);
    await page.reload();
    await page.waitForSelector('.page[data-page="grants"][data-state="ready"] #grants-all');
    expect((await rows()).length === taxs.length && (await page.inputValue('#grants-consumer')) === tax, 'the filter did not survive a reload');
  });
  await check("the tax bureau's data officer pages through 我的申请 two at a time and 我的授权 one at a time with the keyboard, and the status filter is the hub's", page, async () => {
    const officer = await apiSession(context.request, 'gzsw-officer');
    const me = await apiGet(context.request, officer, '/me');
    const outgoing = (await apiGet(context.request, officer, `/applications?direction=outgoing&agency=${me.agency_code}&limit=1000`)).items;
    const received = (await apiGet(context.request, officer, `/grants?consumer=${me.agency_code}&limit=1000`)).items;
    expect(outgoing.length > 2 && received.length > 1, `too few to page: ${outgoing.length} applications, ${received.length} grants`);
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'gzsw-officer');
    // Every page by "load more", reached and pressed with the keyboard, which stays on it.
    const pageThrough = async (table, more, size, expected) => {
      const ids = () => page.$$eval(`${table} tbody tr[data-id]`, (trs) => trs.map((tr) => tr.dataset.id));
      expect((await ids()).length === size, `${table}: the first page holds ${(await ids()).length} rows, not ${size}`);
      let presses = 0;
      while (await page.$(more)) {
        await page.focus(more);
        const before = (await ids()).length;
        await page.keyboard.press('Enter');
        // Done when the footer is new: a fresh button, or none at the end (a full last page
        // is followed by an empty one, as the API's cursor says "there may be more").
        await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-disabled') !== 'true', more);
        expect((await ids()).length > before || !(await page.$(more)), `${table}: a press added no row and left the button`);
        presses++;
        if (await page.$(more)) expect(await page.$eval(more, (b) => b === document.activeElement), `${more} lost the keyboard's place`);
      }
      const shown = await ids();
      const pages = Math.ceil(expected.length / size) + (expected.length % size === 0 ? 1 : 0);
      expect(presses === pages - 1, `${table}: ${presses} presses for ${expected.length} rows`);
      expect(shown.length === expected.length && new Set(shown).size === shown.length && expected.every((x) => shown.includes(x.id)), `${table}: ${shown.length} distinct rows shown of the hub's ${expected.length}`);
    };
    await open(page, 'applications?limit=2');
    await pageThrough('#applications-table', '#applications-more', 2, outgoing);
    await open(page, 'grants?limit=1');
    await pageThrough('#grants-received', '#grants-received-more', 1, received);
    // The status filter asks the hub, and survives a reload.
    const approved = outgoing.filter((a) => a.status === 'approved');
    await open(page, 'applications');
    await page.selectOption('#applications-status', 'approved');
    await page.waitForFunction(() => location.hash.includes('status=approved'));
    await page.waitForSelector('.page[data-page="applications"][data-state="ready"] #applications-table');
    await page.reload();
    await page.waitForSelector('.page[data-page="applications"][data-state="ready"] #applications-table');
    const statuses = await page.$$eval('#applications-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.dataset.status));
    expect(statuses.length === approved.length && statuses.every((x) => x === 'approved'), `approved: ${statuses.length} rows (${[...new Set(statuses)]}), the hub has ${approved.length}`);
  });
  await context.close();
}

// === indicator reporting (指标报送) ================================================================
/** Sends the open report form: the console stops it itself (a message without the hub's status). */
async function stoppedInForm(page) {
  const feedback = '.action-form[data-action="report"] .decision-feedback';
  await page.$eval(feedback, (el) => el.replaceChildren());
  await page.click('.action-form[data-action="report"] button[data-confirm="report"]');
  await page.waitForSelector(`${feedback} .message.error`);
  expect(!(await page.$(`${feedback} .message.error[data-status]`)), 'the hub was asked: the form did not stop it');
}
{
  const { context, page } = await newPage();
  await check("human resources' data officer sees 城镇调查失业率 overdue, is warned of a large change before sending, and reports it with a note (a ledger entry)", page, async () => {
    const officer = await apiSession(context.request, 'gzrs-officer');
    const before = await apiGet(context.request, officer, '/indicators/GZ-RS-SYL');
    expect(before.overdue === true && before.next_period, `the demo's overdue indicator: ${JSON.stringify(before)}`);
    const series = (await apiGet(context.request, officer, '/indicators/GZ-RS-SYL/values')).items;
    const previous = series.at(-1).value;
    await signIn(page, 'gzrs-officer');
    // Its to-do page names it among the indicators to report, overdue.
    await page.waitForSelector('.todo-section[data-section="report"] li.todo-item.overdue');
    await open(page, 'indicators');
    const row = '#indicators-table tbody tr[data-code="GZ-RS-SYL"]';
    expect((await page.getAttribute(row, 'data-overdue')) === 'true', 'not shown overdue');
    expect(await page.$('.page[data-page="indicators"] .message.warning'), 'no overdue count');
    await page.click(`${row} button[data-action="report"]`);
    const form = '.action-form[data-action="report"]';
    await page.waitForSelector(`${form} #value-GZ-RS-SYL`);
    expect((await page.inputValue(`${form} #period-GZ-RS-SYL`)) === before.next_period, 'the period due is not proposed');
    const beside = await page.textContent(`${form} .indicator-previous`);
    expect(beside.includes(series.at(-1).period), `the previous period is not beside the value: ${beside}`);
    // Above the maximum (30%): said in the form, nothing sent.
    await page.fill(`${form} #value-GZ-RS-SYL`, '31');
    await page.waitForSelector(`${form} .indicator-warning .message.error`);
    await stoppedInForm(page);
    // Half again the previous value: a note is asked for before sending.
    const jump = String(Math.round(previous * 1.5 * 10) / 10);
    await page.fill(`${form} #value-GZ-RS-SYL`, jump);
    await page.waitForSelector(`${form} .indicator-warning .message.warning`);
    await stoppedInForm(page);
    await docShot(page, 'indicators');
    await page.fill(`${form} #note-GZ-RS-SYL`, '统计口径调整：纳入新设南沙片区。');
    const flash = await confirmAction(page, 'report', 'indicators');
    expect(flash.includes(before.next_period), `flash: ${flash}`);
    const history = (await apiGet(context.request, officer, `/indicators/GZ-RS-SYL/values/${before.next_period}/history`)).items;
    expect(history.length === 1 && history[0].value === Number(jump) && history[0].note && Number.isInteger(history[0].ledger_index), `stored: ${JSON.stringify(history)}`);
    // The series shows it, newest first.
    await page.click(`#indicators-table tbody tr[data-code="GZ-RS-SYL"] button[data-action="series"]`);
    await page.waitForSelector(`#series-GZ-RS-SYL tbody tr[data-period="${before.next_period}"]`);
  });
  await check("the tax bureau's data officer uploads a CSV of values: the good line reported (a new version), the bad one listed by its line", page, async () => {
    const officer = await apiSession(context.request, 'gzsw-officer');
    const latest = (await apiGet(context.request, officer, '/indicators/GZ-SW-SSSR/values')).items.at(-1);
    const before = (await apiGet(context.request, officer, `/indicators/GZ-SW-SSSR/values/${latest.period}/history`)).items.length;
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'gzsw-officer');
    await open(page, 'indicators');
    const csv = `指标代码,报告期,数值,说明\n GZ-SW-SSSR,${latest.period},${latest.value + 1},更正\nGZ-NO-SUCH,${latest.period},1,\n`;
    await page.setInputFiles('#indicators-file', { name: '税收.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.click('#indicators-upload');
    await page.waitForSelector('#indicators-upload-result #indicators-upload-errors tbody tr');
    const rows = await page.$$eval('#indicators-upload-errors tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows.length === 1 && rows[0][0] === '3' && rows[0][1] === 'indicator_code', `errors: ${JSON.stringify(rows)}`);
    const after = (await apiGet(context.request, officer, `/indicators/GZ-SW-SSSR/values/${latest.period}/history`)).items;
    expect(after.length === before + 1 && after.at(-1).value === latest.value + 1, `history: ${JSON.stringify(after.map((v) => v.value))}`);
  });
  await check('the coordinator opens the theme dashboard: each indicator of 经济运行 drawn this year against last, the districts side by side, another theme by the address', page, async () => {
    const coordinator = await apiSession(context.request, 'coordinator');
    const all = (await apiGet(context.request, coordinator, '/indicators?status=active&limit=1000')).items;
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'coordinator');
    await open(page, `dashboard?theme=${encodeURIComponent('经济运行')}`);
    const expected = all.filter((i) => i.theme === '经济运行').map((i) => i.code).sort();
    const codes = await page.$$eval('.dashboard-card', (cards) => cards.map((c) => c.dataset.code).sort());
    expect(JSON.stringify(codes) === JSON.stringify(expected), `cards ${codes.length}, indicators ${expected.length}`);
    await page.waitForFunction((n) => [...document.querySelectorAll('.dashboard-card .chart')].filter((c) => Number(c.dataset.points) > 0).length >= n, expected.length);
    const points = await page.$$eval('.dashboard-card[data-code="GZ-TJ-GYZJZ"] .chart', (charts) => charts.map((c) => c.dataset.points));
    expect(points.length === 2 && points[1] === '11', `规模以上工业增加值's charts: ${points}`);
    await page.selectOption('#dashboard-theme', '营商环境');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('theme=营商环境'));
    await page.waitForSelector('.page[data-page="dashboard"][data-state="ready"] .dashboard-card');
    const business = await page.$$eval('.dashboard-card', (cards) => cards.length);
    expect(business === all.filter((i) => i.theme === '营商环境').length, `营商环境 cards: ${business}`);
    await page.waitForTimeout(800); // the lines are drawn in 400 ms
    await docShot(page, 'dashboard');
  });
  await check("the coordinator sees every bureau's indicators, filtered by theme in the address, and reports none", page, async () => {
    await page.evaluate(() => sessionStorage.clear());
    await signIn(page, 'coordinator');
    await open(page, 'indicators');
    const all = await page.$$eval('#indicators-table tbody tr[data-code]', (trs) => trs.length);
    expect(all === 20, `${all} indicators shown`);
    expect(!(await page.$('#indicators-table button[data-action="report"]')), 'the coordinator is offered to report');
    await page.selectOption('#indicators-theme', '营商环境');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('theme=营商环境'));
    await page.waitForSelector('.page[data-page="indicators"][data-state="ready"] #indicators-table');
    const themes = await page.$$eval('#indicators-table tbody tr[data-code] td:nth-child(2)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
    expect(themes.length === 1 && themes[0] === '营商环境', `themes: ${themes}`);
  });
  await context.close();
}

// === accessibility (WCAG 2.1 AA, GB/T 37668-2019): axe-core on every page of every role ========
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page as it is now. */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3), count: v.nodes.length }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
// Per role, [route, action]: a row action whose form axe checks opened.
const PANELS = {
  coordinator: [['demands', 'details'], ['escalations', 'rule']],
  'console-admin': [['grants', 'revoke']],
  'gzsw-cdo': [['inbox', 'approve'], ['grants', 'renew'], ['people', 'reset-password'], ['indicators', 'report']],
  'gzsc-officer': [['grants', 'revoke'], ['objections', 'resolve']],
};
{
  const { context, page } = await newPage();
  await check('every page of every role, and the forms its rows open, has no serious or critical WCAG 2.1 AA violation (axe-core), the sign-in page included', page, async () => {
    const found = [];
    const skipped = [];
    const note = async (where) => {
      for (const v of await axeViolations(page)) found.push(`${where}: ${v.id} ×${v.count} (${v.nodes.join(' | ')})`);
    };
    await page.goto(consoleUrl);
    await page.waitForSelector('#signin-form');
    await note('signin');
    // console-admin: the hub_admin an earlier check added.
    for (const name of ['coordinator', 'console-admin', 'gzsw-cdo', 'gzsw-officer', 'gzrs-operator', 'gzsc-officer']) {
      await signIn(page, name);
      for (const route of await navItems(page)) {
        await open(page, route);
        await note(`${name} #/${route}`);
      }
      // The forms a row's action opens, where the role has such a row: one of each kind.
      for (const [route, action] of PANELS[name] ?? []) {
        await open(page, route);
        const button = await page.$(`.page[data-page="${route}"] button[data-action="${action}"]`);
        if (!button) {
          skipped.push(`${name} #/${route} ${action}`);
          continue;
        }
        await button.click();
        await page.waitForSelector(`.page[data-page="${route}"] .decision-row:not([hidden]) *`);
        await note(`${name} #/${route}, ${action} opened`);
      }
      if (name === 'gzsw-officer') {
        // A catalog entry opened with the keyboard (its name is the disclosure button).
        await open(page, 'catalog');
        await page.focus('#catalog-table tbody tr[data-code] .row-disclosure');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#catalog-table tr.detail-row:not([hidden]) .resource-details');
        await note(`${name} #/catalog, an entry opened`);
        await page.click('#catalog-table tr.detail-row:not([hidden]) a[data-action="apply"]');
        await page.waitForSelector('.page[data-page="catalog"][data-state="ready"] form[data-action="apply"]');
        await note(`${name} the application form`);
      }
      await page.click('#sign-out');
      await page.waitForSelector('#signin-form');
    }
    expect(!found.length, `${found.length} violations: ${found.join('; ')}`);
    // The demo has, at this point of the run, a row for each form but these (said, not hidden).
    if (skipped.length) console.log(`      axe: no row to open on ${skipped.join(', ')}`);
    expect(skipped.length <= 2, `most forms were not opened: ${skipped.join(', ')}`);
  });
  await context.close();
}

await browser.close();
console.log(`browser checks took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
