// Browser test of `baton ops`: builds a SQLite store with the real `baton`
// tool holding trip-booking sagas in every state, serves it with
// `baton ops`, and drives Debian's chromium (headless, through
// puppeteer-core) over the pages: what the tables and the diagram show,
// the operator actions and their records, escaping of stored markup,
// the CSRF check, read-only mode, and the refusal to listen elsewhere
// without a token.
//
//   node browser.test.mjs BATON_EXE SOURCE_ROOT
//
// Exit status 77 (skipped) when chromium (CHROMIUM, default
// /usr/bin/chromium) or tests/ops/node_modules is missing. Screenshots go
// to $OPS_SCREENSHOTS (default ./ops-screenshots).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [baton, sourceRoot] = process.argv.slice(2);
if (!baton || !sourceRoot) {
  console.error('usage: node browser.test.mjs BATON_EXE SOURCE_ROOT');
  process.exit(2);
}
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.log(`SKIP: no chromium at ${chromium} (apt-get install chromium)`);
  process.exit(77);
}
if (!fs.existsSync(path.join(here, 'node_modules', 'puppeteer-core'))) {
  console.log(`SKIP: no puppeteer-core (npm ci --prefix ${here})`);
  process.exit(77);
}
const { default: puppeteer } = await import('puppeteer-core');

const shots = process.env.OPS_SCREENSHOTS || path.resolve('ops-screenshots');
fs.mkdirSync(shots, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-ops-browser-'));
const store = 'sqlite:' + path.join(work, 'ops.db');
const sagaModel = path.join(sourceRoot, 'examples', 'trip-booking', 'trip-booking-saga.bpmn');
const timerModel = path.join(sourceRoot, 'tests', 'models', 'events-flight-timeout.bpmn');

const env = Object.assign({}, process.env, { BATON_STORE: store });
delete env.BATON_OPS_TOKEN;

function run(...args) {
  return execFileSync(baton, args, { env, encoding: 'utf8' }).trim();
}
function runIn(dir, ...args) {
  return execFileSync(baton, args, { env, encoding: 'utf8', cwd: dir }).trim();
}
// The saga's service tasks have no job type: the host binds them by
// element id, so the job types are ReserveCar, BookHotel, BookFlight.
const ok = 'cat >/dev/null; echo {}';
function worker(...types) {
  run('worker', '--until-idle', ...types.flatMap((t) => ['--exec', `${t}=${ok}`]));
}
function state(key) {
  return JSON.parse(run('instance', key, '--json')).state;
}

// ---------------------------------------------------------------- store

// From the models' folders, so that a deployment's name (its file) holds
// no path of this machine in the screenshots.
runIn(path.dirname(sagaModel), 'deploy', path.basename(sagaModel));
runIn(path.dirname(timerModel), 'deploy', path.basename(timerModel));
// Two versions of a process no instance runs: the older can be dropped.
const zeebeModel = path.join(sourceRoot, 'examples', 'trip-booking', 'trip-booking.bpmn');
runIn(path.dirname(zeebeModel), 'deploy', path.basename(zeebeModel));
const renamed = fs.readFileSync(zeebeModel, 'utf8').replace(/ name="([^"]*)"/, ' name="$1 (v2)"');
fs.writeFileSync(path.join(work, 'trip-booking.bpmn'), renamed);
assert.match(runIn(work, 'deploy', 'trip-booking.bpmn'), /version 2 \(new\)/);

const completed = run('start', 'TripBookingSaga', '--business-key', 'trip-completed');
worker('ReserveCar', 'BookHotel', 'BookFlight');

// Booked the car, then the hotel service failed with no retries left.
const incident = run('start', 'TripBookingSaga', '--business-key', 'trip-incident');
worker('ReserveCar');
const hotelJob = JSON.parse(run('jobs', 'activate', 'BookHotel', '--worker', 'browser-test'));
run('jobs', 'fail', String(hotelJob.key), '--retries', '0', '--message', 'hotel service down <b>503</b>');

// Car and hotel booked, waiting for the flight job.
const waiting = run('start', 'TripBookingSaga', '--business-key', 'trip-waiting');
worker('ReserveCar', 'BookHotel');

// Flight booked, racing the airline's callback against a 2-hour timer.
const timer = run('start', 'FlightTimeout', '--vars', '{"bookingId":"B-42"}', '--business-key', 'flight-timer');
worker('book-flight');

const cancelled = run('start', 'TripBookingSaga', '--business-key', 'trip-cancelled');
run('cancel', cancelled);

const scriptText = '<script>window.__pwned = 1</script>';
const imgText = '<img src=x onerror="window.__pwned = 2">';
const markup = run('start', 'TripBookingSaga', '--business-key', 'trip-markup',
  '--vars', JSON.stringify({ note: scriptText, html: imgText }));

const expected = {
  [completed]: 'COMPLETED', [incident]: 'INCIDENT', [waiting]: 'WAITING',
  [timer]: 'WAITING', [cancelled]: 'TERMINATED', [markup]: 'WAITING'
};
for (const [key, s] of Object.entries(expected)) assert.equal(state(key), s, `store: instance ${key}`);

// ---------------------------------------------------------- the server

function startOps(args, extraEnv) {
  const child = spawn(baton, ['ops', '--store', store, ...args], { env: Object.assign({}, env, extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ready = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^baton ops: listening on (http:\/\/\S+\/)\n/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`baton ops exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error('baton ops did not print its address in 10 s: ' + stderr)), 10000);
  });
  return { child, ready, stderr: () => stderr };
}

// Refused: a non-loopback listener without a token.
{
  const r = await new Promise((resolve) => {
    const c = spawn(baton, ['ops', '--store', store, '--listen', '0.0.0.0:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => c.kill('SIGKILL'), 10000);
    c.on('exit', (code) => { clearTimeout(t); resolve({ code, out, err }); });
  });
  assert.equal(r.code, 1, 'baton ops --listen 0.0.0.0:0 without a token exits 1');
  assert.equal(r.out, '', 'nothing on stdout when refused');
  assert.match(r.err, /0\.0\.0\.0/, 'the refusal names the address');
  assert.match(r.err, /token/i, 'the refusal says how to give a token');
}

const ops = startOps(['--listen', '127.0.0.1:0']);
const base = (await ops.ready).replace(/\/$/, '');
assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

// ------------------------------------------------------------- browser

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
});
const problems = [];
let dialogs = 0;
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });

  // A full load of the page at `hash`, then its data.
  async function open(hash, ready) {
    await page.goto('about:blank');
    await page.goto(base + '/' + hash);
    await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 15000 });
  }
  // Clicks something that loads another page (or reloads this one) and
  // waits for its data: data-ready is cleared first, so the old page's
  // mark cannot be taken for the new one.
  async function follow(click, ready) {
    await page.evaluate(() => document.body.removeAttribute('data-ready'));
    await click();
    await page.waitForSelector(`body[data-ready="${ready}"]`, { timeout: 15000 });
  }
  async function shot(name) {
    await page.screenshot({ path: path.join(shots, `ops-${name}.png`) });
  }
  const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());
  const classes = (id) => page.$eval(`g.djs-element[data-element-id="${id}"]`, (e) => [...e.classList]);
  // Clicks, then waits for the action's result in #message.
  async function action(click, label) {
    await page.$eval('#message', (m) => { m.textContent = ''; });
    await click();
    await page.waitForFunction((l) => document.getElementById('message').textContent.startsWith(l),
      { timeout: 15000 }, label);
    const message = await text('#message');
    assert.match(message, /: done\.$/, `action result: ${message}`);
    await page.waitForSelector('body[data-ready="instance"]');
  }

  // Processes: per-state counts of each deployment.
  await open('', 'processes');
  const scripts = await page.evaluate(() => document.querySelectorAll('script').length);
  const saga = 'tr[data-process-id="TripBookingSaga"][data-version="1"]';
  for (const [s, n] of Object.entries({ COMPLETED: '1', INCIDENT: '1', WAITING: '2', TERMINATED: '1', ACTIVE: '0' })) {
    assert.equal(await text(`${saga} td[data-state="${s}"]`), n, `processes: TripBookingSaga ${s}`);
  }
  assert.equal(await text('tr[data-process-id="FlightTimeout"][data-version="1"] td[data-state="WAITING"]'), '1');
  // Only a version that is not the latest and runs no live instance can
  // be dropped.
  const droppable = await page.$$eval('#processes tr[data-process-id]', (rows) =>
    rows.map((r) => [r.dataset.processId, r.dataset.version, r.querySelector('td.droppable').dataset.droppable]));
  assert.deepEqual(droppable.sort(), [['FlightTimeout', '1', 'no'], ['TripBookingSaga', '1', 'no'],
    ['trip-booking', '1', 'yes'], ['trip-booking', '2', 'no']]);
  await shot('processes');

  // Instances: every instance with its state, the incident first.
  await follow(() => page.click(`${saga} a.process-link`), 'instances');
  assert.equal(await page.$eval('#filter [name="process"]', (e) => e.value), 'TripBookingSaga');
  await follow(() => page.click('a[data-nav="instances"]'), 'instances');
  assert.equal(await page.$eval('#filter [name="process"]', (e) => e.value), '');
  const listed = await page.$$eval('#instances tr[data-key]', (rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual([...listed].sort(), Object.keys(expected).sort(), 'instances: all six listed');
  assert.equal(listed[0], incident, 'instances: the incident comes first');
  for (const [key, s] of Object.entries(expected)) {
    assert.equal(await text(`#instances tr[data-key="${key}"] td.state`), s, `instances: state of ${key}`);
  }
  assert.equal(await text(`#instances tr[data-key="${markup}"] td.business-key`), 'trip-markup');
  assert.equal(await page.$('#next-page'), null, 'instances: one page only');
  await shot('instances');

  // The filter form: state and business key.
  await page.select('#filter [name="state"]', 'WAITING');
  await page.type('#filter [name="process"]', 'TripBookingSaga');
  await follow(() => page.click('#filter button[type="submit"]'), 'instances');
  assert.match(await page.evaluate(() => location.hash), /state=WAITING/);
  const waitingRows = await page.$$eval('#instances tr[data-key]', (rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual(waitingRows.sort(), [waiting, markup].sort(), 'filter: TripBookingSaga WAITING');
  await open('#/instances?businessKey=trip-waiting', 'instances');
  assert.deepEqual(await page.$$eval('#instances tr[data-key]', (rows) => rows.map((r) => r.dataset.key)), [waiting]);

  // Paging: two at a time through the cursor, every instance once.
  await open('#/instances?limit=2', 'instances');
  const seen = [];
  for (let n = 0; n < 10; n++) {
    const keys = await page.$$eval('#instances tr[data-key]', (rows) => rows.map((r) => r.dataset.key));
    assert.ok(keys.length <= 2, 'paging: at most the limit');
    seen.push(...keys);
    const next = await page.$('#next-page');
    if (!next) break;
    await follow(() => next.click(), 'instances');
  }
  assert.deepEqual([...seen].sort(), Object.keys(expected).sort(), 'paging: each instance once');

  // The waiting saga: diagram, live state, job.
  await open('#/instances', 'instances');
  await follow(() => page.click(`#instances tr[data-key="${waiting}"] a.open`), 'instance');
  assert.ok(await page.$(`section#instance[data-key="${waiting}"][data-state="WAITING"]`));
  const modelIds = ['StartEvent', 'ReserveCar', 'BookHotel', 'BookFlight', 'EndEvent_TripBooked',
    'CancelCar', 'CancelHotel', 'CancelFlight', 'BookFlight_Error', 'CompensateBookings',
    'EndEvent_TripCancelled', 'Flow_Start_ReserveCar', 'Flow_BookFlight_End'];
  for (const id of modelIds) {
    assert.ok(await page.$(`#diagram svg g.djs-element[data-element-id="${id}"]`), `diagram: ${id} drawn`);
  }
  assert.ok((await classes('BookFlight')).includes('ops-active'), 'BookFlight is active');
  assert.ok(!(await classes('BookFlight')).includes('ops-completed'), 'BookFlight did not complete');
  for (const id of ['StartEvent', 'ReserveCar', 'BookHotel']) {
    const c = await classes(id);
    assert.ok(c.includes('ops-completed') && !c.includes('ops-active'), `${id} completed, not active`);
  }
  for (const id of ['EndEvent_TripBooked', 'CancelCar', 'CompensateBookings']) {
    const c = await classes(id);
    assert.ok(!c.includes('ops-completed') && !c.includes('ops-active'), `${id} untouched`);
  }
  for (const id of ['Flow_Start_ReserveCar', 'Flow_ReserveCar_BookHotel', 'Flow_BookHotel_BookFlight']) {
    assert.ok((await classes(id)).includes('ops-taken'), `${id} taken`);
  }
  assert.ok(!(await classes('Flow_BookFlight_End')).includes('ops-taken'), 'Flow_BookFlight_End not taken');
  assert.equal(await page.$$eval('.ops-incident', (e) => e.length), 0, 'no incident marker');
  assert.equal(await text('.ops-count[data-element-id="BookFlight"] .ops-count-active'), '1');
  assert.equal(await text('.ops-count[data-element-id="ReserveCar"] .ops-count-completed'), '1');
  assert.ok(await page.$('.bjs-powered-by'), 'the bpmn.io watermark stays');
  const jobTypes = await page.$$eval('#jobs tr[data-job-key] td:nth-child(2)', (c) => c.map((x) => x.textContent));
  assert.deepEqual(jobTypes, ['BookFlight'], 'jobs: the flight job waits');
  assert.ok(await page.$$eval('#history tr[data-position]', (r) => r.length) > 10, 'history rows');
  await shot('instance');

  // The timer wait: the gateway is active, its timer and subscription listed.
  await open(`#/instances/${timer}`, 'instance');
  assert.ok((await classes('AwaitAirline')).includes('ops-active'), 'the event-based gateway waits');
  assert.ok((await classes('BookFlight')).includes('ops-completed'));
  assert.equal(await text('#timers tbody tr td:nth-child(2)'), 'CallbackTimeout');
  assert.match(await text('#timers tbody tr td:nth-child(3)'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(await text('#subscriptions tbody tr td:nth-child(3)'), 'airline-callback');
  assert.equal(await text('#subscriptions tbody tr td:nth-child(4)'), 'B-42');

  // CSRF: a POST without the token, or with a wrong one, is refused and
  // changes nothing.
  const quiet = problems.length;
  const statuses = await page.evaluate(async (key) => {
    const url = `/api/instances/${key}/cancel`;
    const a = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    const b = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': '00'.repeat(32) }, body: '{}' });
    return [a.status, b.status, (await a.json()).error];
  }, timer);
  // The browser logs the two refusals; they are this check's own.
  problems.splice(quiet, problems.length - quiet,
    ...problems.slice(quiet).filter((m) => !/status of 403/.test(m)));
  assert.equal(statuses[0], 403, 'POST without X-CSRF-Token');
  assert.equal(statuses[1], 403, 'POST with a wrong X-CSRF-Token');
  assert.equal(typeof statuses[2], 'string');
  assert.equal(state(timer), 'WAITING', 'the refused cancel changed nothing');

  // Incidents page: grouped by process, element and type.
  await open('#/incidents', 'incidents');
  const group = 'tr[data-process-id="TripBookingSaga"][data-type="JOB_NO_RETRIES"][data-element-id="BookHotel"]';
  assert.equal(await page.$$eval('#incident-groups tr[data-type]', (r) => r.length), 1);
  assert.equal(await text(`${group} td.process`), 'TripBookingSaga');
  assert.equal(await text(`${group} td.count`), '1');
  assert.match(await text(`${group} td.incident-message`), /hotel service down <b>503<\/b>/);
  assert.equal(await page.$$eval('#incident-groups b', (b) => b.length), 0, 'the message is text');
  assert.deepEqual(await page.$$eval(`${group} a[data-key]`, (a) => a.map((x) => x.dataset.key)), [incident]);
  await shot('incidents');

  // The incident: marker, retry, a worker, and the saga moves on.
  await follow(() => page.click(`${group} a[data-key="${incident}"]`), 'instance');
  assert.ok(await page.$(`section#instance[data-key="${incident}"][data-state="INCIDENT"]`));
  assert.ok((await classes('BookHotel')).includes('ops-incident'), 'BookHotel has the incident');
  assert.ok((await classes('ReserveCar')).includes('ops-completed'));
  assert.equal(await text('#incidents tr[data-incident-key] td.type'), 'JOB_NO_RETRIES');
  assert.equal(await text('#incidents tr[data-incident-key] td.element'), 'BookHotel');
  await shot('instance-incident');
  await action(() => page.click('#incidents button.retry'), 'Resolve incident');
  assert.equal(await page.$$eval('#incidents tr[data-incident-key]', (r) => r.length), 0, 'incident resolved');
  assert.notEqual(await page.$eval('#instance', (s) => s.dataset.state), 'INCIDENT');
  worker('BookHotel', 'BookFlight');
  await open(`#/instances/${incident}`, 'instance');
  assert.equal(await page.$eval('#instance', (s) => s.dataset.state), 'COMPLETED', 'the saga completed after the retry');
  for (const id of ['BookHotel', 'BookFlight', 'EndEvent_TripBooked']) {
    assert.ok((await classes(id)).includes('ops-completed'), `${id} completed after the retry`);
  }
  assert.equal(await page.$$eval('.ops-incident, .ops-active', (e) => e.length), 0);
  const historyRows = await page.$$eval('#history tr[data-position]', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.ok(historyRows.some((r) => r[1] === 'INCIDENT' && r[2] === 'RESOLVED'), 'history: INCIDENT RESOLVED');
  assert.equal(await page.$('#cancel-instance'), null, 'no cancel on an ended instance');

  // Stored markup is text: no script or img added, nothing ran.
  await open(`#/instances/${markup}`, 'instance');
  const row = (name) => `#variables tr[data-scope="${markup}"][data-name="${name}"] td.value`;
  assert.equal(await text(row('note')), JSON.stringify(scriptText));
  assert.equal(await text(row('html')), JSON.stringify(imgText));
  assert.equal(await page.evaluate(() => document.querySelectorAll('script').length), scripts, 'no script injected');
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0, 'no img injected');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');

  // Set a variable (markup again), set a job's retries, then cancel with
  // two clicks; each lands in the history.
  await page.type('#set-variable [name="name"]', 'approved');
  await page.type('#set-variable [name="value"]', '{"by": "<img src=x onerror=\\"window.__pwned = 3\\">"}');
  await action(() => page.click('#set-variable button[type="submit"]'), 'Set variable approved');
  assert.equal(await text(row('approved')), '{"by":"<img src=x onerror=\\"window.__pwned = 3\\">"}');
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);

  const jobRow = '#jobs tr[data-job-key]';
  assert.equal(await text(`${jobRow} td.retries`), '3');
  await page.$eval(`${jobRow} input.retries-input`, (i) => { i.value = '7'; });
  await action(() => page.click(`${jobRow} button.set-retries`), 'Set retries');
  assert.equal(await text(`${jobRow} td.retries`), '7');

  await page.click('#cancel-instance');
  assert.match(await text('#cancel-instance'), /again/i, 'the first click asks for a second');
  assert.equal(state(markup), 'WAITING', 'one click cancels nothing');
  await action(() => page.click('#cancel-instance'), 'Cancel instance');
  assert.equal(await page.$eval('#instance', (s) => s.dataset.state), 'TERMINATED');
  assert.equal(state(markup), 'TERMINATED');
  const records = await page.$$eval('#history tr[data-position]', (rows) => rows.map((r) => r.cells[1].textContent + ' ' + r.cells[2].textContent));
  for (const r of ['VARIABLE CREATED', 'JOB RETRIES_UPDATED', 'PROCESS_INSTANCE ELEMENT_TERMINATED']) {
    assert.ok(records.includes(r), `history: ${r}`);
  }
  // Read-only: no action controls, and a POST with the right token is
  // still refused.
  const ro = startOps(['--listen', '127.0.0.1:0', '--read-only']);
  try {
    const roBase = (await ro.ready).replace(/\/$/, '');
    await page.goto('about:blank');
    await page.goto(`${roBase}/#/instances/${timer}`);
    await page.waitForSelector('body[data-ready="instance"]', { timeout: 15000 });
    assert.equal(await page.$$eval('#cancel-instance, #set-variable, button.set-retries, button.retry', (e) => e.length), 0,
      'read-only: no action controls');
    const roQuiet = problems.length;
    const roPost = await page.evaluate(async (key) => {
      const session = await (await fetch('/api/session')).json();
      const r = await fetch(`/api/instances/${key}/cancel`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf }, body: '{}' });
      return [session.readOnly, r.status, (await r.json()).error];
    }, timer);
    assert.deepEqual(roPost, [true, 403, 'read-only']);
    problems.splice(roQuiet, problems.length - roQuiet,
      ...problems.slice(roQuiet).filter((m) => !/status of 403/.test(m)));
    assert.equal(state(timer), 'WAITING', 'read-only: nothing cancelled');
  } finally {
    ro.child.kill('SIGTERM');
  }

  assert.equal(dialogs, 0, 'no dialog opened');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran');
  assert.deepEqual(problems, [], 'no page errors, console errors or CSP violations');
  console.log(`ok: baton ops browser test (screenshots in ${shots})`);
} catch (e) {
  failed = true;
  console.error(e);
  if (problems.length) console.error('page problems:\n' + problems.join('\n'));
} finally {
  await browser.close();
  ops.child.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
