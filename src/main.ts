#!/usr/bin/env node
/** Entry point: hands argv to the CLI and exits with its code. */
import { main } from './cli/index.js';

process.exitCode = await main(process.argv.slice(2));
