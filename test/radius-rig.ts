/**
 * Rig for the RADIUS integration (integrations/freeradius/): a FreeRADIUS configuration
 * directory made from the shipped site, module and clients files (substituting only the port,
 * the shared secret, the backend URL and the validator key), `freeradius -f` started on it as a
 * child process, and `radclient` to ask it. Debian's /etc/freeradius is readable only by the
 * freerad group, so the directory carries its own small radiusd.conf (the stock settings that
 * matter, no user/group switch, so it runs as whoever runs the test, root or not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const INTEGRATION_DIR = join(import.meta.dirname, '..', 'integrations', 'freeradius');

/**
 * The absolute path of a FreeRADIUS tool, or null. Debian puts `freeradius` in /usr/sbin, which
 * is not on an ordinary user's PATH: the tests and the bench run as root and as a user alike.
 */
export function radiusTool(name: 'freeradius' | 'radclient'): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  const path = r.status === 0 ? r.stdout.trim() : '';
  return path === '' ? null : path;
}

/** Null when freeradius and radclient are installed, else what is missing (the reason to give). */
export function radiusToolsMissing(): string | null {
  const missing: string[] = (['freeradius', 'radclient'] as const).filter((t) => radiusTool(t) === null);
  if (spawnSync('sh', ['-c', 'test -e /usr/lib/freeradius/rlm_rest.so']).status !== 0) missing.push('freeradius-rest (rlm_rest.so)');
  return missing.length ? `missing ${missing.join(', ')} (apt-get install freeradius freeradius-utils freeradius-rest)` : null;
}

/** A free UDP port on the loopback (bound and released: another process could take it, rarely). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export interface RadiusConfig {
  dir: string;
  port: number;
  secret: string;
  backendUrl: string;
  validatorKey: string;
}

function substitute(text: string, file: string, from: string, to: string): string {
  const n = text.split(from).length - 1;
  if (n !== 1) throw new Error(`${file}: expected "${from}" once, found it ${n} times (the shipped file changed?)`);
  return text.replace(from, () => to);
}

/** Writes the configuration directory; the shipped files are copied with the four values substituted. */
export function writeRadiusConfig(c: RadiusConfig): void {
  for (const d of ['mods-enabled', 'sites-enabled', 'log', 'run']) mkdirSync(join(c.dir, d), { recursive: true });
  const shipped = (rel: string) => readFileSync(join(INTEGRATION_DIR, rel), 'utf8');
  writeFileSync(join(c.dir, 'sites-enabled', 'fobkit'), substitute(shipped('sites-available/fobkit'), 'sites-available/fobkit', 'port = 1812', `port = ${c.port}`));
  let mod = shipped('mods-available/fobkit');
  mod = substitute(mod, 'mods-available/fobkit', '"http://127.0.0.1:8700"', `"${c.backendUrl}"`);
  mod = substitute(mod, 'mods-available/fobkit', '"fbk_CHANGE_ME"', `"${c.validatorKey}"`);
  writeFileSync(join(c.dir, 'mods-enabled', 'fobkit'), mod, { mode: 0o600 });
  writeFileSync(join(c.dir, 'clients.conf'), substitute(shipped('clients.conf'), 'clients.conf', 'CHANGE_ME_shared_secret', c.secret), { mode: 0o600 });
  // The stock dictionaries (/usr/share/freeradius) are world-readable; this one adds nothing.
  writeFileSync(join(c.dir, 'dictionary'), '# local dictionary: nothing added\n');
  writeFileSync(join(c.dir, 'radiusd.conf'), `# Made by test/radius-rig.ts: Debian's stock radiusd.conf, reduced to what the fobkit site needs.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
raddbdir = ${c.dir}
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
logdir = ${c.dir}/log
run_dir = ${c.dir}/run
libdir = /usr/lib/freeradius
name = freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no
log {
	destination = stdout
	auth = no
}
# No user/group: the server stays whoever started it (stock switches to freerad, which needs root).
security {
	allow_core_dumps = no
	max_attributes = 200
	# Stock delays a reject by 1 s (it slows online guessing; the backend throttles anyway).
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 5
	max_servers = 32
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
}
$INCLUDE clients.conf
modules {
	# As Debian's mods-enabled/always.
	always reject {
		rcode = reject
	}
	always ok {
		rcode = ok
	}
	$INCLUDE mods-enabled/
}
policy {
}
$INCLUDE sites-enabled/
`);
}

export interface RunningRadius {
  child: ChildProcess;
  /** What it printed (stdout and stderr); freeradius prints no secrets without -X. */
  output(): string;
  stop(): Promise<void>;
}

/** `freeradius -f -d dir -l stdout`, resolved once it says it is ready. */
export async function startFreeradius(dir: string, timeoutMs = 30_000): Promise<RunningRadius> {
  const child = spawn(radiusTool('freeradius') ?? 'freeradius', ['-f', '-d', dir, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`freeradius not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to process requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`freeradius exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export type RadiusAnswer = 'accept' | 'reject' | 'no-reply';

/** One Access-Request through radclient: the answer it received and verified, if any. */
export function radclientAuth(o: { dir: string; port: number; secret: string; user: string; password: string; timeoutSeconds?: number }): Promise<RadiusAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(radiusTool('radclient') ?? 'radclient', ['-d', o.dir, '-t', String(o.timeoutSeconds ?? 3), '-r', '1', `127.0.0.1:${o.port}`, 'auth', o.secret], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(/Received Access-Accept/.test(out) ? 'accept' : /Received Access-Reject/.test(out) ? 'reject' : 'no-reply'));
    child.stdin.end(radclientAttributes(o.user, o.password));
  });
}

/** radclient's input for one request: attribute lines, values quoted and escaped. */
export function radclientAttributes(user: string, password: string): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `User-Name = ${q(user)}\nUser-Password = ${q(password)}\n`;
}
