/**
 * `fobkit wipe --port PATH --serial SERIAL --yes`: erase a returned fob's seed for
 * refurbishment (it keeps its serial). The serial given must be the fob's own; WIPE needs a
 * station session, so the station key is required. With `--revoke` the backend record is
 * revoked too. Exit codes: 0 wiped, 1 the fob is another one or holds no seed, 2 usage (no
 * --yes, bad serial), 3 the fob or the backend could not be reached.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { wipeFob } from '../../support/wipeFob.js';
import { EXIT_NEGATIVE } from '../cliErrors.js';
import { confirmAction } from '../confirmAction.js';
import { backendSettings, fobFailure, openFob, printJson, serialArgument, stationCredentials, supportClient, withBackend, type BackendArgs } from './_supportOptions.js';
import { resolveBackendSettings } from '../../support/resolveBackendSettings.js';

interface WipeArgs extends BackendArgs {
  port: string;
  serial: string;
  yes: boolean;
  stationKey?: string;
  revocationList?: string;
  revoke: boolean;
}

async function runWipe(a: ArgumentsCamelCase<WipeArgs>): Promise<void> {
  const serial = serialArgument(a.serial);
  await confirmAction({ yes: a.yes, question: `Wipe ${serial}? Its seed is erased for good.`, consequence: `wiping erases ${serial}'s seed for good` });
  const settings = a.revoke ? backendSettings(a) : undefined;
  let stationKey = a.stationKey ?? process.env['FOBKIT_STATION_KEY'];
  let revocationList = a.revocationList ?? process.env['FOBKIT_REVOCATION_LIST'];
  if (!stationKey || !revocationList) {
    try {
      const fromConfig = resolveBackendSettings({ config: a.config, apiKey: 'unused', stationKey, revocationList });
      stationKey ??= fromConfig.stationKey;
      revocationList ??= fromConfig.revocationList;
    } catch {
      // no usable config file: the flags and the environment are all there is
    }
  }
  // The session hands the fob the newest revocation list the station has, as provisioning does.
  const station = stationCredentials(stationKey, 'wipe', revocationList);
  const { fob, close } = await openFob(a.port);
  let r;
  try {
    r = await wipeFob({ fob, station, serial }).catch((e: unknown) => {
      throw fobFailure(e);
    });
  } finally {
    station.privateKey.fill(0);
    await close();
  }
  let revoked = false;
  if (r.ok && settings) {
    await withBackend(() => supportClient(settings).revoke(serial, 'wiped for refurbishment'));
    revoked = true;
  }
  if (a.json) printJson({ ...r, revoked });
  else if (r.ok) process.stdout.write(`${serial}: wiped (seed erased, state ${r.state}, ${r.wipes} wipe${r.wipes === 1 ? '' : 's'} so far)${revoked ? '; revoked on the backend' : ''}\n`);
  else if (r.reason === 'serial-mismatch') process.stdout.write(`not wiped: the fob on ${a.port} is ${r.fobSerial ?? 'without a serial'}, not ${serial}\n`);
  else process.stdout.write(`not wiped: ${serial} is ${r.state} and holds no seed\n`);
  if (!r.ok) process.exitCode = EXIT_NEGATIVE;
}

export const wipeCommand: CommandModule<object, WipeArgs> = {
  command: 'wipe',
  describe: "erase a returned fob's seed for refurbishment (needs the station key)",
  builder: (y: Argv<object>) =>
    y
      .option('port', { type: 'string', demandOption: true, describe: 'serial port of the fob' })
      .option('serial', { type: 'string', demandOption: true, describe: "the fob's serial, as printed on it (must match the fob)" })
      .option('yes', { type: 'boolean', default: false, describe: 'confirm: the seed is erased for good' })
      .option('station-key', { type: 'string', describe: 'station key file (FOBKIT_STATION_KEY)' })
      .option('revocation-list', { type: 'string', describe: 'revocation list handed to the fob in the session (FOBKIT_REVOCATION_LIST; default: the config\'s revocationList)' })
      .option('revoke', { type: 'boolean', default: false, describe: 'also revoke the fob on the backend' })
      .option('backend-url', { type: 'string', describe: 'backend base URL, for --revoke' })
      .option('api-key', { type: 'string', describe: 'support API key, for --revoke' })
      .option('api-key-file', { type: 'string' })
      .option('config', { type: 'string' })
      .option('json', { type: 'boolean', default: false }) as unknown as Argv<WipeArgs>,
  handler: runWipe,
};
