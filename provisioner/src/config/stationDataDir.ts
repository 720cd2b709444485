/**
 * Where the station keeps its journal and label file when no path is given: a per-user data
 * directory, never the working directory (issue 17 item 6: run from a clone, they landed in the
 * tree). The same rule as the backend's (backend/src/dataDir.ts; the packages share no code):
 *   FOBKIT_DATA_DIR, else $XDG_DATA_HOME/fobkit, else ~/.local/share/fobkit.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The data directory for `env` (not created: the CLI creates it, 0700, before opening the journal). */
export function stationDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['FOBKIT_DATA_DIR']) return resolve(env['FOBKIT_DATA_DIR']);
  const xdg = env['XDG_DATA_HOME'];
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && xdg.startsWith('/') ? xdg : join(env['HOME'] || homedir(), '.local', 'share'), 'fobkit');
}
