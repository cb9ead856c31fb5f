// A Web Worker of the page's CPU engine pool (cpu-slot-pool.ts): slot-server.ts's server, set up by
// the first message (a Web Worker has no workerData), then answering requests.
import { slotServer, WORKER_ROLE, type WorkerRequest, type WorkerSetup } from '../../../src/engine/cpu/slot-server.js';

let serve: ((request: WorkerRequest) => void) | undefined;
self.onmessage = (event: MessageEvent<WorkerSetup | WorkerRequest>) => {
  if (serve) {
    serve(event.data as WorkerRequest);
    return;
  }
  const setup = event.data as WorkerSetup;
  if (setup.role !== WORKER_ROLE) throw new Error('CPU slot worker: the first message must be its setup');
  serve = slotServer(setup, (answer) => self.postMessage(answer));
};
