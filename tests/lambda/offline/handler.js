'use strict';
// The trip-booking functions for the tests: book and cancel a hotel, a car
// and a flight, answering {statusCode: 200, body: JSON.stringify({success})}.
// The request is either {"body": "<variables as JSON>"} (the seed model's
// body header) or the variables themselves (no body header).
//   failHotel / failCar / failFlight: true  -> that booking answers
//                                             success: false
//   throwOnFail: true                       -> ... or throws instead (a
//                                             function error), as the
//                                             Camunda 7 saga expects
//   slow: true (or a number of ms)          -> the function takes 1 s
// Each invocation appends one JSON line to $BATON_OFFLINE_LOG:
// {"fn": function name, "trip": the variable trip, "start": ms, "end": ms}.
const fs = require('fs');

function variables(event) {
  if (event && typeof event.body === 'string') {
    try {
      const v = JSON.parse(event.body);
      return v && typeof v === 'object' ? v : {};
    } catch (e) {
      return {};
    }
  }
  return event && typeof event === 'object' ? event : {};
}

function log(context, v, start) {
  const path = process.env.BATON_OFFLINE_LOG;
  if (!path) return;
  fs.appendFileSync(path, JSON.stringify({
    fn: context.functionName, trip: v.trip, start, end: Date.now(),
  }) + '\n');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fn(failFlag) {
  return async (event, context) => {
    const start = Date.now();
    const v = variables(event);
    if (v.slow) await sleep(typeof v.slow === 'number' ? v.slow : 1000);
    const success = !(failFlag && v[failFlag] === true);
    log(context, v, start);
    if (!success && v.throwOnFail === true) {
      throw new Error(context.functionName + ': no booking for ' + v.trip);
    }
    return { statusCode: 200, body: JSON.stringify({ success }) };
  };
}

module.exports.bookHotel = fn('failHotel');
module.exports.bookCar = fn('failCar');
module.exports.bookFlight = fn('failFlight');
module.exports.cancelHotel = fn(null);
module.exports.cancelCar = fn(null);
module.exports.cancelFlight = fn(null);

module.exports.explode = async (event, context) => {
  const start = Date.now();
  const v = variables(event);
  log(context, v, start);
  throw new Error(v.reason || 'the function failed on purpose');
};
