// Entry point of the `channelscope` command.
import { main } from './main.js';
import { stopForClosedPipe } from './stop-requests.js';

// `channelscope … | head` (or `2>&1 | head`) closes the pipe early: that is the reader's choice, not
// an error. A sweep or a procedure then stops as on SIGTERM, keeping what it must (stop-requests.ts);
// any other command ends there: a report cut short is what its reader asked for.
let pipeClosed = false;
const onClosedPipe = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  if (pipeClosed) return;
  pipeClosed = true;
  if (!stopForClosedPipe()) process.exit(process.exitCode ?? 0);
};
process.stdout.on('error', onClosedPipe);
process.stderr.on('error', onClosedPipe);

process.exitCode = await main(process.argv.slice(2));
