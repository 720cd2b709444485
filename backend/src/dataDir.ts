/**
 * Where `fobkit-backend` keeps its SQLite database and KEK when no path is given: a per-user data
 * directory, never the working directory (issue 17 item 6: run from a clone, the database and the
 * KEK landed in the tree, where `git add -A` would commit them).
 *   FOBKIT_DATA_DIR, else $XDG_DATA_HOME/fobkit, else ~/.local/share/fobkit (XDG Base Directory).
 * The provisioner resolves the same directory for the station's journal and labels.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The data directory for `env` (not created). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['FOBKIT_DATA_DIR']) return resolve(env['FOBKIT_DATA_DIR']);
  const xdg = env['XDG_DATA_HOME'];
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && xdg.startsWith('/') ? xdg : join(env['HOME'] || homedir(), '.local', 'share'), 'fobkit');
}

/** `sqlite:<data dir>/fobkit-backend.db`. */
export function defaultDbSpec(env: NodeJS.ProcessEnv = process.env): string {
  return `sqlite:${join(defaultDataDir(env), 'fobkit-backend.db')}`;
}

/** Creates the data directory, 0700 (it holds the KEK); returns it. */
export function ensureDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = defaultDataDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Creates the data directory when `dbSpec` is the default database, which lives there. */
export function prepareDefaultDataDir(dbSpec: string, env: NodeJS.ProcessEnv = process.env): void {
  if (dbSpec === defaultDbSpec(env)) ensureDataDir(env);
}
