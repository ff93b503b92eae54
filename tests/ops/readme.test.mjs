// The README's durable saga demo, run as the README writes it, ends in
// the operations view: this runs the demo's shell block (with the build's
// `baton` first on PATH, in a scratch folder), checks that its last line
// is `baton ops` and the URL it names is the default address, then serves
// the store the demo made and checks in chromium that the page shows the
// saga: COMPLETED, the flight's error caught, the hotel and the car
// cancelled in reverse order, each drawn on the diagram.
//
//   node readme.test.mjs BATON_EXE SOURCE_ROOT
//
// Exit status 77 (skipped) without chromium or tests/ops/node_modules,
// like browser.test.mjs. The screenshot goes to $OPS_SCREENSHOTS.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [baton, sourceRoot] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromium) || !fs.existsSync(path.join(here, 'node_modules', 'puppeteer-core'))) {
  console.log('SKIP: chromium or puppeteer-core is missing (see browser.test.mjs)');
  process.exit(77);
}
const { default: puppeteer } = await import('puppeteer-core');

// The demo: the sh block under "## A durable saga".
const readme = fs.readFileSync(path.join(sourceRoot, 'README.md'), 'utf8');
const section = readme.split(/^## A durable saga$/m)[1];
assert.ok(section, 'README: no "## A durable saga" section');
const block = section.match(/```sh\n([\s\S]*?)```/)[1];
const lines = block.trimEnd().split('\n');
const last = lines.pop();
assert.match(last, /^baton ops\s+# then open http:\/\/127\.0\.0\.1:8080$/, 'the demo ends in baton ops');
assert.match(execFileSync(baton, ['ops', '--help'], { encoding: 'utf8' }), /127\.0\.0\.1:8080/,
  'baton ops listens where the README says by default');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-readme-'));
fs.symlinkSync(path.join(sourceRoot, 'examples'), path.join(work, 'examples'));
const env = Object.assign({}, process.env, {
  PATH: path.dirname(baton) + path.delimiter + process.env.PATH
});
delete env.BATON_STORE;
delete env.BATON_OPS_TOKEN;
execFileSync('sh', ['-ec', lines.join('\n')], { cwd: work, env, stdio: ['ignore', 'ignore', 'inherit'] });

// Port 0 rather than 8080, which another program may hold here.
const ops = spawn(baton, ['ops', '--store', 'sqlite:trip.db', '--listen', '127.0.0.1:0'],
  { cwd: work, env, stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let out = '';
  ops.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/^baton ops: listening on (http:\/\/\S+)\/\n/);
    if (m) resolve(m[1]);
  });
  ops.on('exit', (code) => reject(new Error(`baton ops exited with ${code}`)));
});

const browser = await puppeteer.launch({
  executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const ready = (name) => page.waitForSelector(`body[data-ready="${name}"]`, { timeout: 15000 });

  await page.goto(base + '/#/instances');
  await ready('instances');
  const rows = await page.$$eval('#instances tr[data-key]', (r) => r.map((x) => x.dataset.key));
  assert.equal(rows.length, 1, 'the demo started one saga');
  assert.equal(await page.$eval('#instances tr[data-key] td.state', (e) => e.textContent.trim()), 'COMPLETED');

  await page.goto(base + '/#/instances/' + rows[0]);
  await ready('instance');
  const marked = (cls) => page.$$eval(`g.djs-element.${cls}`, (g) => g.map((e) => e.dataset.elementId));
  const completed = await marked('ops-completed');
  for (const id of ['ReserveCar', 'BookHotel', 'CancelHotel', 'CancelCar', 'CompensateBookings', 'EndEvent_TripCancelled']) {
    assert.ok(completed.includes(id), `${id} is drawn completed`);
  }
  for (const id of ['BookFlight', 'CancelFlight', 'EndEvent_TripBooked']) {
    assert.ok(!completed.includes(id), `${id} is not drawn completed`);
  }
  assert.deepEqual(await marked('ops-active'), [], 'no token is left');
  // The history: the hotel is cancelled before the car (reverse order).
  const history = await page.$$eval('#history tr', (r) => r.map((x) => x.textContent));
  const firstCompleted = (id) => history.findIndex((t) => t.includes('ELEMENT_COMPLETED') && t.includes(id));
  assert.ok(firstCompleted('CancelHotel') > 0 && firstCompleted('CancelHotel') < firstCompleted('CancelCar'),
    'the hotel is cancelled before the car');
  const shots = process.env.OPS_SCREENSHOTS || path.resolve('ops-screenshots');
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'ops-readme-saga.png') });
  assert.deepEqual(problems, []);
  console.log('ok: the README demo shows its saga in baton ops');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  ops.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
