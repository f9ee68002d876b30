#!/usr/bin/env node
/** The `maskpack` executable: runs the command line of this process and sets its exit code. */
import { main } from './dispatch.js';

process.exitCode = await main(process.argv.slice(2));
