// A Node worker thread of a ThreadedCpuEnsemble (threaded-ensemble.ts): slot-server.ts's server on
// the thread's port, set up by its workerData.
import { parentPort, workerData } from 'node:worker_threads';
import { slotServer, WORKER_ROLE, type WorkerRequest, type WorkerSetup } from './slot-server.js';

if (parentPort && (workerData as WorkerSetup | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const serve = slotServer(workerData as WorkerSetup, (answer) => port.postMessage(answer));
  port.on('message', (request: WorkerRequest) => serve(request));
}
