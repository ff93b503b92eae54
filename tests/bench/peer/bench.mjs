// bpmn-engine on the trip-booking saga: verification of both paths, then
// throughput, parse time, memory per waiting instance and snapshot size /
// restore time. Progress goes to stderr; the last line of stdout is one JSON
// object (see README.md for the keys).
//
//   node --expose-gc bench.mjs [model.bpmn] [--duration S] [--instances N]
//                              [--large model.bpmn] [--quick]

import { EventEmitter } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

import {
  DEFAULT_MODEL,
  ENGINE_VERSION,
  EXPECTED,
  Engine,
  HANDLER_VARIABLES,
  REPO_ROOT,
  TimeoutError,
  control,
  engineOptions,
  extensions,
  parseModel,
  processVariables,
  readModel,
  runSaga,
  withTimeout,
} from './saga.mjs';

const PINNED_VERSION = '25.0.1';
const SAGA_TIMEOUT_MS = 10000;
const END_GRACE_MS = 1000; // how long to wait for engine 'end' after the end event

// ---------------------------------------------------------------- arguments

function usage(code) {
  const text = `usage: node --expose-gc bench.mjs [model.bpmn] [options]
  model.bpmn          default ${DEFAULT_MODEL}
  --duration S        seconds per throughput measurement (default 3; --quick 0.5)
  --instances N       waiting instances for the memory measurement (default 2000; --quick 200)
  --large PATH        large model for parse_large_* (default: largest .bpmn under
                      ${resolve(REPO_ROOT, 'tests/corpus/miwg')})
  --quick             fast run
  -h, --help          this text`;
  (code ? console.error : console.log)(text);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { model: null, duration: null, instances: null, large: null, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) {
        console.error(`bench.mjs: ${a} needs a value`);
        usage(2);
      }
      return argv[++i];
    };
    const number = (v, name, integer) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
        console.error(`bench.mjs: bad value for ${name}: ${v}`);
        usage(2);
      }
      return n;
    };
    if (a === '--duration') opts.duration = number(value(), a, false);
    else if (a.startsWith('--duration=')) opts.duration = number(a.slice(11), '--duration', false);
    else if (a === '--instances') opts.instances = number(value(), a, true);
    else if (a.startsWith('--instances=')) opts.instances = number(a.slice(12), '--instances', true);
    else if (a === '--large') opts.large = value();
    else if (a.startsWith('--large=')) opts.large = a.slice(8);
    else if (a === '--quick') opts.quick = true;
    else if (a === '-h' || a === '--help') usage(0);
    else if (a.startsWith('-')) {
      console.error(`bench.mjs: unknown option ${a}`);
      usage(2);
    } else if (opts.model === null) opts.model = a;
    else {
      console.error(`bench.mjs: unexpected argument ${a}`);
      usage(2);
    }
  }
  const q = opts.quick;
  return {
    model: resolve(opts.model ?? DEFAULT_MODEL),
    large: opts.large ? resolve(opts.large) : null,
    quick: q,
    duration: opts.duration ?? (q ? 0.5 : 3),
    instances: opts.instances ?? (q ? 200 : 2000),
    parseIterations: q ? 30 : 200,
    largeIterations: q ? 3 : 10,
    restoreIterations: q ? 20 : 100,
  };
}

const args = parseArgs(process.argv.slice(2));

function fatal(err) {
  console.error(`bench.mjs: error: ${err?.message ?? err}`);
  process.exit(1);
}
process.on('unhandledRejection', fatal);
process.on('uncaughtException', fatal);

// ---------------------------------------------------------------- helpers

const log = (...m) => console.error('[bench]', ...m);
const now = () => performance.now();
const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let gc = globalThis.gc;
if (typeof gc !== 'function') {
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
  } catch {
    gc = null;
  }
}
const fullGc = () => {
  if (gc) {
    gc();
    gc();
  }
};

function largestBpmn(dir) {
  let best = null;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.bpmn')) {
        const size = statSync(p).size;
        if (!best || size > best.size) best = { path: p, size };
      }
    }
  };
  walk(dir);
  return best;
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const list = (a) => `[${a.join(', ')}]`;

function waitForPark(ms, what) {
  let release;
  const parked = new Promise((res) => (release = res));
  control.onPark = (activity) => release(activity);
  const waiting = withTimeout(parked, ms, what).finally(() => {
    control.onPark = null;
  });
  waiting.catch(() => {}); // reported where it is awaited, never as unhandled
  return waiting;
}

// ---------------------------------------------------------------- result

const result = {
  happy_sagas_per_s: null,
  compensating_sagas_per_s: null,
  happy_sagas_per_s_parse_each: null,
  compensating_sagas_per_s_parse_each: null,
  parse_us: null,
  parse_first_us: null,
  parse_large_us: null,
  parse_large_first_us: null,
  bytes_per_waiting_instance: null,
  heap_bytes_per_waiting_instance: null,
  snapshot_bytes: null,
  snapshot_restore_us: null,
  cold_start_ms: null,
  deviations: [],
  notes: [],
  version: ENGINE_VERSION,
  node: process.version,
  happy_order: null,
  compensating_order: null,
};
const notes = result.notes;
const deviations = result.deviations;

if (ENGINE_VERSION !== PINNED_VERSION) notes.push(`installed bpmn-engine is ${ENGINE_VERSION}, expected ${PINNED_VERSION}`);

// ---------------------------------------------------------------- 1. parse once (first parse in the process)

log(`model ${args.model}`);
const text = readModel(args.model);
let t0 = now();
const sourceContext = await withTimeout(parseModel(text), 30000, 'first parse of the model');
result.parse_first_us = round((now() - t0) * 1000, 0);

// ---------------------------------------------------------------- 2. verify both paths

// Returns how a saga of this path is considered done for timing:
// 'engine-end', 'end-event' or null (cannot be timed).
async function verifyPath(path, model, label) {
  const exp = EXPECTED[path];
  let r;
  try {
    r = await runSaga(model, path, { doneOn: 'end-event', timeoutMs: SAGA_TIMEOUT_MS });
  } catch (err) {
    const why = err instanceof TimeoutError ? `${exp.end} never ended` : 'the saga failed';
    deviations.push(`${path}${label}: ${why} (${err?.message ?? err})`);
    return { criterion: null, order: null };
  }
  if (!r.engineEnded) {
    await withTimeout(
      new Promise((res) => r.engine.once('end', res)),
      END_GRACE_MS,
      'engine end'
    ).catch((err) => {
      if (!(err instanceof TimeoutError)) throw err;
    });
  }
  const engine = r.engine;
  if (label) return { criterion: r.engineEnded ? 'engine-end' : 'end-event', order: r.order };

  if (!same(r.order, exp.order)) {
    deviations.push(`${path}: completed tasks ${list(r.order)}, spec order ${list(exp.order)}`);
  }
  if (r.endEvent !== exp.end) deviations.push(`${path}: ended at ${r.endEvent}, spec end ${exp.end}`);

  const vars = processVariables(engine);
  const missing = r.order.filter((id) => vars[HANDLER_VARIABLES[id]] === undefined);
  if (missing.length) notes.push(`${path}: handler variables not visible in process environment for ${list(missing)}`);

  if (path === 'compensating') {
    if (!r.errored.includes('BookFlight')) deviations.push('compensating: BookFlight did not report an activity error');
    if (!r.ended.includes('BookFlight_Error')) {
      deviations.push('compensating: error boundary BookFlight_Error did not catch FLIGHT_BOOKING_FAILED');
    }
    if (r.order.includes('CancelFlight')) {
      deviations.push(
        'compensating: CancelFlight ran although BookFlight failed and never completed (the failed activity is compensated too)'
      );
    }
    const ic = r.order.indexOf('CancelCar');
    const ih = r.order.indexOf('CancelHotel');
    if (ic >= 0 && ih >= 0 && ic < ih) {
      deviations.push(
        'compensating: compensation handlers ran first-in-first-out (CancelCar before CancelHotel); the spec requires reverse completion order'
      );
    }
  }

  if (!r.engineEnded) {
    const postponed = engine.execution?.getPostponed?.() ?? [];
    deviations.push(
      `${path}: the engine never reported completion: no 'end' event within ${END_GRACE_MS} ms after ${r.endEvent} ended` +
        ` (engine.state '${engine.state}', activityStatus '${engine.activityStatus}', ${postponed.length} postponed activities);` +
        ` ${path} sagas are timed up to the activity end of ${exp.end}`
    );
  }
  return { criterion: r.engineEnded ? 'engine-end' : 'end-event', order: r.order };
}

log('verifying happy and compensating paths');
const verified = {};
for (const path of ['happy', 'compensating']) {
  const v = await verifyPath(path, sourceContext, '');
  verified[path] = v;
  result[`${path}_order`] = v.order;
  log(`${path}: ${v.order ? list(v.order) : 'not finished'} (done = ${v.criterion})`);
  // Same path with the engine parsing the text itself.
  const e = await verifyPath(path, text, ' (parse each)');
  verified[`${path}_each`] = e;
  if (v.order && e.order && !same(v.order, e.order)) {
    deviations.push(`${path}: order differs between parse-once ${list(v.order)} and parse-each ${list(e.order)}`);
  }
}

// ---------------------------------------------------------------- helpers: parked instances

async function parkInstance(model) {
  const engine = new Engine(engineOptions(model));
  const parked = waitForPark(SAGA_TIMEOUT_MS, 'BookFlight handler to be called');
  await withTimeout(engine.execute(), SAGA_TIMEOUT_MS, 'engine.execute()');
  await parked;
  return engine;
}

async function measureMemory(n) {
  control.parkFlight = true;
  try {
    for (let i = 0; i < 20; i++) await parkInstance(sourceContext); // warm-up, dropped
    fullGc();
    const before = process.memoryUsage();
    const keep = [];
    const heapLimit = v8.getHeapStatistics().heap_size_limit;
    for (let i = 0; i < n; i++) {
      keep.push(await parkInstance(sourceContext));
      if (i === 9 && n > 10) {
        // Keep the run inside V8's heap limit: project from the first 10.
        fullGc();
        // (the first instances come out ~15% lighter than the average)
        const per = (1.15 * (process.memoryUsage().heapUsed - before.heapUsed)) / 10;
        const fit = Math.floor((0.8 * heapLimit - before.heapUsed) / per);
        log(`memory: baseline heap ${Math.round(before.heapUsed / 1048576)} MiB, ~${Math.round(per / 1024)} KiB per instance, room for ${fit} within the heap limit`);
        if (fit < n) {
          notes.push(
            `memory: --instances ${n} would not fit in V8's heap limit (${Math.round(heapLimit / 1048576)} MiB, ~${Math.round(per / 1024)} KiB per instance); measured with ${fit} (raise it with node --max-old-space-size)`
          );
          n = Math.max(fit, 10);
        }
      }
    }
    fullGc();
    const after = process.memoryUsage();
    const busy = keep.filter((e) => e.activityStatus === 'executing').length;
    if (busy !== n) notes.push(`memory: only ${busy} of ${n} instances report activityStatus 'executing'`);
    result.bytes_per_waiting_instance = Math.round((after.rss - before.rss) / n);
    result.heap_bytes_per_waiting_instance = Math.round((after.heapUsed - before.heapUsed) / n);
    keep.length = 0;
  } finally {
    control.parkFlight = false;
  }
  fullGc();
  return n;
}

// ---------------------------------------------------------------- 3. parse times

log('parse times');
async function warmMedian(fn, iterations, warmup) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < iterations; i++) {
    const t = now();
    await fn();
    times.push(now() - t);
  }
  return median(times) * 1000;
}

result.parse_us = round(
  await warmMedian(() => withTimeout(parseModel(text), 30000, 'parse'), args.parseIterations, 20),
  0
);
{
  const engineParse = await warmMedian(
    () => withTimeout(new Engine({ source: text, extensions }).getDefinitions(), 30000, 'engine parse'),
    args.parseIterations,
    20
  );
  notes.push(
    `parse_us = bpmn-moddle fromXML + moddle-context-serializer (text -> sourceContext, what Engine does for 'source'); ` +
      `new Engine({source}).getDefinitions() warm median is ${Math.round(engineParse)} us`
  );
}

{
  const miwg = resolve(REPO_ROOT, 'tests/corpus/miwg');
  let large = null;
  try {
    large = args.large ? { path: args.large, size: statSync(args.large).size } : largestBpmn(miwg);
  } catch (err) {
    notes.push(`large model not found: ${err.message}`);
  }
  if (large) {
    const largeText = readModel(large.path);
    const name = large.path.startsWith(miwg) ? large.path.slice(miwg.length + 1) : large.path;
    try {
      let t = now();
      await withTimeout(parseModel(largeText), 120000, 'large model parse');
      result.parse_large_first_us = round((now() - t) * 1000, 0);
      result.parse_large_us = round(
        await warmMedian(() => withTimeout(parseModel(largeText), 120000, 'large model parse'), args.largeIterations, 2),
        0
      );
      notes.push(`large model ${name} (${large.size} bytes)`);
    } catch (err) {
      if (err instanceof TimeoutError) throw err;
      let moddleNote = '';
      try {
        const t = now();
        const { default: BpmnModdle } = await import('bpmn-moddle');
        await withTimeout(new BpmnModdle().fromXML(largeText), 120000, 'large model XML read');
        moddleNote = `; its XML stage alone (bpmn-moddle fromXML) succeeds in ${Math.round((now() - t) * 1000)} us, the failure is in building the executable context`;
      } catch (err2) {
        moddleNote = `; bpmn-moddle fromXML fails too: ${err2.message}`;
      }
      notes.push(`large model ${name} (${large.size} bytes) refused by bpmn-engine: ${err.message}${moddleNote}`);
    }
  }
}

// ---------------------------------------------------------------- 4. throughput

async function throughput(model, path, criterion, seconds) {
  const doneOn = criterion;
  const expectedEnd = EXPECTED[path].end;
  const one = async () => {
    const r = await runSaga(model, path, { doneOn, timeoutMs: SAGA_TIMEOUT_MS, record: false });
    if (r.endEvent !== expectedEnd) throw new Error(`${path} saga ended at ${r.endEvent}, expected ${expectedEnd}`);
  };
  const warmupMs = Math.min(1000, seconds * 334);
  let t = now();
  while (now() - t < warmupMs) await one();
  fullGc();
  let n = 0;
  t = now();
  const limit = seconds * 1000;
  let elapsed = 0;
  while (elapsed < limit) {
    await one();
    n++;
    elapsed = now() - t;
  }
  return (n * 1000) / elapsed;
}

function describeDone(path) {
  const c = verified[path].criterion;
  if (c === 'engine-end') return "the engine 'end' event";
  if (c === 'end-event') return `the activity end of ${EXPECTED[path].end}`;
  return 'never (not measured)';
}

const runs = [
  ['happy_sagas_per_s', sourceContext, 'happy', verified.happy.criterion],
  ['compensating_sagas_per_s', sourceContext, 'compensating', verified.compensating.criterion],
  ['happy_sagas_per_s_parse_each', text, 'happy', verified.happy_each.criterion],
  ['compensating_sagas_per_s_parse_each', text, 'compensating', verified.compensating_each.criterion],
];
for (const [key, model, path, criterion] of runs) {
  if (!criterion) {
    notes.push(`${key}: not measured, the ${path} path does not finish`);
    continue;
  }
  log(`${key} (${args.duration} s, done = ${criterion})`);
  result[key] = round(await throughput(model, path, criterion, args.duration));
}
notes.push(
  'throughput: sagas run one after another, one new Engine per saga (bpmn-engine runs one execution per Engine instance); ' +
    "parse-once passes the prepared sourceContext (documented 'sourceContext' option), parse-each passes the model text as 'source'; " +
    `a saga is done at: happy ${describeDone('happy')}, compensating ${describeDone('compensating')}`
);

// ---------------------------------------------------------------- 5. snapshot size and restore

log('snapshot size and restore');
try {
  control.parkFlight = true;
  const e1 = await parkInstance(sourceContext);
  const state = await withTimeout(e1.getState(), SAGA_TIMEOUT_MS, 'engine.getState()');
  const json = JSON.stringify(state);
  result.snapshot_bytes = Buffer.byteLength(json);
  const sourceBytes = state.definitions.reduce((s, d) => s + (d.source ? Buffer.byteLength(JSON.stringify(d.source)) : 0), 0);
  notes.push(
    `snapshot: engine.getState() as JSON for one instance waiting at BookFlight; includes the serialized model source (${sourceBytes} bytes of it)`
  );

  // Verify that a recovered engine resumes and finishes the saga.
  control.parkFlight = false;
  const e2 = new Engine({ extensions }).recover(JSON.parse(json));
  const listener = new EventEmitter();
  const resumedOrder = [];
  const reached = new Promise((res) =>
    listener.on('activity.end', (api) => {
      if (api.type === 'bpmn:ServiceTask') resumedOrder.push(api.id);
      if (api.id === EXPECTED.happy.end) res();
    })
  );
  await withTimeout(e2.resume({ listener }), SAGA_TIMEOUT_MS, 'engine.resume()');
  await withTimeout(reached, SAGA_TIMEOUT_MS, `recovered instance to reach ${EXPECTED.happy.end}`);
  if (!same(resumedOrder, ['BookFlight'])) {
    notes.push(`restore: recovered instance completed tasks ${list(resumedOrder)} (expected [BookFlight])`);
  }
  notes.push(
    "restore: new Engine({extensions}).recover(JSON.parse(json)) then resume(); BookFlight's handler is called again on resume and the saga then reaches EndEvent_TripBooked"
  );

  // Timing: getState + stringify + parse + recover + resume, until the
  // recovered instance is waiting in BookFlight's handler again.
  control.parkFlight = true;
  const times = [];
  const warm = Math.min(10, args.restoreIterations);
  for (let i = 0; i < warm + args.restoreIterations; i++) {
    const src = await parkInstance(sourceContext);
    const parked = waitForPark(SAGA_TIMEOUT_MS, 'recovered BookFlight handler to be called');
    const t = now();
    const st = await src.getState();
    const s = JSON.stringify(st);
    const restored = new Engine({ extensions }).recover(JSON.parse(s));
    await restored.resume();
    await parked;
    const dt = now() - t;
    if (i >= warm) times.push(dt);
  }
  result.snapshot_restore_us = round(median(times) * 1000, 0);
  notes.push(
    `snapshot_restore_us: median of ${args.restoreIterations}, timed until the recovered instance is back in BookFlight's handler`
  );
} catch (err) {
  notes.push(`snapshot/restore failed: ${err?.message ?? err}`);
} finally {
  control.parkFlight = false;
}

// ---------------------------------------------------------------- 6. memory per waiting instance
// Last, so that the large heap it builds does not disturb the timings above.

if (!gc) notes.push('global.gc unavailable (run node with --expose-gc): memory figures taken without forced GC');
log(`memory: ${args.instances} instances waiting at BookFlight`);
try {
  const n = await measureMemory(args.instances);
  notes.push(
    `memory: ${n} instances, one Engine each (parsed sourceContext shared), each parked in BookFlight's handler; growth of rss/heapUsed after forced GC divided by N`
  );
} catch (err) {
  notes.push(`memory measurement failed: ${err.message}`);
}

notes.push('cold_start_ms is null here: measure `node cold.mjs` as a whole process');
if (args.quick) notes.push('quick run');

console.log(JSON.stringify(result));
