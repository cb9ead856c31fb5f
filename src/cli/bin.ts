// Entry point of the `channelscope` command.
import { main } from './main.js';

// `channelscope … | head` (or `2>&1 | head`) closes the pipe early: that is the reader's choice, not
// an error. A sweep then stops as on SIGTERM, keeping its records and releasing its folder (run.ts
// listens for SIGPIPE, which Node itself ignores); any other command ends there.
let pipeClosed = false;
const onClosedPipe = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  if (pipeClosed) return;
  pipeClosed = true;
  if (process.listenerCount('SIGPIPE') > 0) process.emit('SIGPIPE', 'SIGPIPE');
  else process.exit(process.exitCode ?? 0);
};
process.stdout.on('error', onClosedPipe);
process.stderr.on('error', onClosedPipe);

process.exitCode = await main(process.argv.slice(2));
