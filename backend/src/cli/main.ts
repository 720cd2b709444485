#!/usr/bin/env node
/** The `fobkit-backend` command line. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

await yargs(hideBin(process.argv)).scriptName('fobkit-backend').strict().demandCommand(1).help().parseAsync();
