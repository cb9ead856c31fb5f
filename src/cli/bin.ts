// Entry point of the `channelscope` command.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
