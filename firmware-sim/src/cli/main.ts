#!/usr/bin/env node
/** The `fobkit-sim` command line. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

await yargs(hideBin(process.argv)).scriptName('fobkit-sim').strict().demandCommand(1).help().parseAsync();
