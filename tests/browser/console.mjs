// Browser checks of the web console against a hub loaded with `hubctl demo`, in headless
// Chromium driven by playwright-core (from console/node_modules). Each check prints PASS or FAIL
// and leaves a full-page screenshot in $HUB_BROWSER_ARTIFACTS; the last line is
// "N passed, M failed" and the exit status is non-zero when anything failed.
//
//   HUB_URL                 the hub (the console is at $HUB_URL/console/)
//   HUB_BROWSER_ARTIFACTS   where screenshots go (default: ./browser-artifacts)
//   HUB_DEMO_TOKENS         DATA_DIR/demo-tokens.json, to make a fresh data request (optional)
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
    await page.waitForSelector('.page[data-page="overview"]:not([data-state="loading"])');
    const charts = await page.$$eval('.chart[data-chart]', (els) =>
      els.map((el) => ({ name: el.dataset.chart, points: Number(el.dataset.points ?? 0), canvas: !!el.querySelector('canvas') })),
    );
    const errors = await page.$$eval('.page .message.error', (els) => els.map((e) => e.textContent));
    expect(charts.length === 3, `${charts.length} charts drawn${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`);
    for (const c of charts) expect(c.canvas && c.points > 0, `chart ${c.name}: canvas ${c.canvas}, ${c.points} data points`);
  });

  await check('coordinator: the report lists every agency by rank, with the service columns, and downloads CSV and XLSX', page, async () => {
    await open(page, 'report');
    const ranks = await page.$$eval('.report-table tbody tr[data-agency] td:first-child', (tds) => tds.map((td) => Number(td.textContent)));
    expect(ranks.length > 0, 'no agency rows');
    expect(ranks.every((r, i) => r === i + 1), `ranks not 1..n in order: ${ranks.slice(0, 10).join(',')}`);
    const header = await page.$eval('.report-table thead', (el) => el.textContent);
    expect(header.includes('排名') && header.includes('机构名称'), `headers not in Chinese: ${header.slice(0, 80)}`);
    expect(header.includes('接口服务调用次数') && header.includes('接口服务可用率'), 'no service columns in the report');
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
    expect(nav.join(',') === 'catalog,inbox,ledger', `data officer's nav: ${nav.join(',')}`);
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
    expect(nav.join(',') === 'catalog,ledger', `operator's nav: ${nav.join(',')}`);
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

await browser.close();
console.log(`browser checks took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
