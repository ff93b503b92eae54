// Cold start: load the model, run ONE compensating saga, print the observed
// order, exit. Meant to be timed as a whole process (wall time), e.g.
//   node cold.mjs [model.bpmn]
// Prints one JSON line; exit status 0 on success, 1 on error or timeout.

import { DEFAULT_MODEL, readModel, runSaga } from './saga.mjs';

const modelPath = process.argv[2] ?? DEFAULT_MODEL;

try {
  const text = readModel(modelPath);
  const r = await runSaga(text, 'compensating', { doneOn: 'engine-end', timeoutMs: 10000 });
  console.log(
    JSON.stringify({
      compensating_order: r.order,
      end_event: r.endEvent,
      engine_end: r.engineEnded,
    })
  );
} catch (err) {
  console.error(`cold.mjs: ${err?.message ?? err}`);
  process.exitCode = 1;
}
