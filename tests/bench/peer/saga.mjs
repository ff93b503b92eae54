// Shared pieces of the bpmn-engine side of the trip-booking saga benchmark:
// handler binding (by element id, through the engine's `extensions` option),
// model parsing (the documented `sourceContext` route) and one-saga runners
// with timeouts.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Engine } from 'bpmn-engine';
// bpmn-engine's own dependencies, used exactly as in its API.md
// `addSource({sourceContext})` example to parse a model once and reuse it.
import BpmnModdle from 'bpmn-moddle';
import * as elements from 'bpmn-elements';
import Serializer, { TypeResolver } from 'moddle-context-serializer';

export { Engine };

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const DEFAULT_MODEL = resolve(REPO_ROOT, 'tests/models/trip-booking-saga.bpmn');
export const ENGINE_VERSION = JSON.parse(
  readFileSync(resolve(here, 'node_modules/bpmn-engine/package.json'), 'utf8')
).version;

export const ERROR_CODE = 'FLIGHT_BOOKING_FAILED';

// Element id -> the one process variable its handler sets.
export const HANDLER_VARIABLES = {
  ReserveCar: 'carReservation',
  BookHotel: 'hotelBooking',
  BookFlight: 'flightBooking',
  CancelCar: 'carCancellation',
  CancelHotel: 'hotelCancellation',
  CancelFlight: 'flightCancellation',
};

export const SERVICE_TASK_IDS = Object.keys(HANDLER_VARIABLES);

export const EXPECTED = {
  happy: { order: ['ReserveCar', 'BookHotel', 'BookFlight'], end: 'EndEvent_TripBooked' },
  compensating: {
    order: ['ReserveCar', 'BookHotel', 'CancelHotel', 'CancelCar'],
    end: 'EndEvent_TripCancelled',
  },
};

// Process-wide switches read by the handlers.
//  parkFlight: BookFlight never calls back (instance stays waiting there).
//  onPark:     called with the activity when BookFlight parks.
export const control = { parkFlight: false, onPark: null };

// Service implementation factory, shaped as in bpmn-engine's docs/Examples.md
// "Extend service task behaviour": `activity.behaviour.Service` is called with
// the activity and must return an object with `execute(executionMessage, callback)`.
function SagaService(activity) {
  const id = activity.id;
  const variable = HANDLER_VARIABLES[id];
  return {
    type: 'saga:handler',
    execute(executionMessage, callback) {
      const variables = activity.environment.variables;
      if (id === 'BookFlight') {
        if (control.parkFlight) {
          if (control.onPark) control.onPark(activity);
          return; // never calls back: the instance waits here
        }
        if (variables.failFlight) {
          const err = new Error('flight booking failed');
          err.code = ERROR_CODE; // matched against <bpmn:error errorCode="...">
          return callback(err);
        }
      }
      variables[variable] = `${id}-ok`;
      return callback(null);
    },
  };
}

// The `extensions` option (bpmn-elements docs/Extension.md): every extension
// function is called once per activity when it is instantiated. This one binds
// the handler by element id and leaves every other activity untouched.
export const extensions = {
  tripBookingHandlers(activity) {
    if (Object.hasOwn(HANDLER_VARIABLES, activity.id)) {
      activity.behaviour.Service = SagaService;
    }
  },
};

export function readModel(path) {
  return readFileSync(path, 'utf8');
}

// Model text -> serializable source context (what `new Engine({source})` does
// internally; the result is passed as `sourceContext` to reuse one parse).
export async function parseModel(text) {
  const moddleContext = await new BpmnModdle().fromXML(text);
  return Serializer(moddleContext, TypeResolver({ ...elements }));
}

export class TimeoutError extends Error {}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Engine options for one saga: either a prepared sourceContext or the raw text.
export function engineOptions(model) {
  return typeof model === 'string' || Buffer.isBuffer(model)
    ? { source: model, extensions }
    : { sourceContext: model, extensions };
}

// Run one saga and record what the engine reports.
//  path: 'happy' | 'compensating'
//  model: model text (engine parses it) or a sourceContext (parsed once)
//  doneOn: 'engine-end' resolves on the engine `end` event (execution
//          completion); 'end-event' resolves when the path's end event ends.
// Resolves with { order, ended, endEvent, engineEnded, engine }.
export function runSaga(model, path, { doneOn = 'engine-end', timeoutMs = 10000, record = true } = {}) {
  const engine = new Engine(engineOptions(model));
  const listener = new EventEmitter();
  const endEventId = EXPECTED[path].end;
  const result = { order: [], ended: [], endEvent: null, engineEnded: false, errored: [], engine };

  const done = new Promise((resolveDone, rejectDone) => {
    listener.on('activity.end', (api) => {
      if (record) {
        result.ended.push(api.id);
        if (api.type === 'bpmn:ServiceTask') result.order.push(api.id);
      }
      if (api.type === 'bpmn:EndEvent') {
        result.endEvent = api.id;
        if (doneOn === 'end-event' && api.id === endEventId) resolveDone(result);
      }
    });
    if (record) listener.on('activity.error', (api) => result.errored.push(api.id));
    engine.once('end', () => {
      result.engineEnded = true;
      if (doneOn === 'engine-end') resolveDone(result);
    });
    engine.once('error', (err) => rejectDone(err));
  });

  const variables = path === 'compensating' ? { failFlight: true } : {};
  const started = engine.execute({ listener, variables });
  return withTimeout(
    Promise.all([started, done]).then(() => result),
    timeoutMs,
    `${path} saga to finish (${doneOn === 'engine-end' ? "engine 'end' event" : `${endEventId} to end`})`
  );
}

// Process variables of the (single) process of a finished/running engine.
export function processVariables(engine) {
  const definition = engine.execution?.definitions?.[0];
  const proc = definition?.getProcesses?.()[0];
  return proc?.environment?.variables ?? {};
}
