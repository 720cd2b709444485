/**
 * The Debian tools the seed-format suites cross-check against: pskctool (libpskc's XML Schema
 * validator), python3-pskc (an independent PSKC reader/writer) and pamtester with pam_oath.
 * A missing tool is a failure with the package to install, never a silent skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** @throws Error naming the Debian package when `command` is not on PATH. */
export function requireCommand(command: string, debianPackage: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} is not installed: this test needs the Debian package ${debianPackage} (apt-get install ${debianPackage}; .ci/run installs it)`);
}

/** @throws Error when /usr/bin/python3 cannot import pskc. */
export function requirePythonPskc(): void {
  const r = spawnSync(PYTHON, ['-c', 'import pskc'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3-pskc is not importable by ${PYTHON}: this test needs the Debian package python3-pskc (apt-get install python3-pskc)`);
}

/** The installed pam_oath.so, or an Error naming libpam-oath. */
export function requirePamOath(): string {
  for (const dir of ['/usr/lib/x86_64-linux-gnu/security', '/lib/x86_64-linux-gnu/security', '/usr/lib/aarch64-linux-gnu/security', '/lib/security']) {
    if (existsSync(`${dir}/pam_oath.so`)) return `${dir}/pam_oath.so`;
  }
  throw new Error('pam_oath.so not found: this test needs the Debian package libpam-oath (apt-get install libpam-oath)');
}

export interface ValidateResult {
  ok: boolean;
  /** pskctool's own verdict and diagnostics, for the assertion message. */
  output: string;
}

/**
 * `pskctool --validate FILE`: XML Schema validation of a PSKC document. pskctool prints OK or
 * FAIL but exits 0 either way unless `--quiet` is given, so both the exit code under --quiet
 * and the printed verdict are checked.
 */
export function pskctoolValidate(path: string): ValidateResult {
  const quiet = spawnSync('pskctool', ['--validate', '--quiet', path], { encoding: 'utf8' });
  const verbose = spawnSync('pskctool', ['--validate', '--debug', path], { encoding: 'utf8' });
  const verdict = verbose.stdout.trim();
  return { ok: quiet.status === 0 && verdict === 'OK', output: `exit ${quiet.status}, verdict ${JSON.stringify(verdict)}\n${verbose.stderr}` };
}

/**
 * Runs a Python script under /usr/bin/python3 with JSON on stdin and returns its JSON stdout.
 * @throws Error with python's stderr when it fails.
 */
export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Reads a PSKC file with python3-pskc and reports every key with its secret in hex. */
export const PYTHON_READ_PSKC = String.raw`
import json, sys, binascii, pskc
req = json.load(sys.stdin)
p = pskc.PSKC(req['path'])
if req.get('pskHex'):
    p.encryption.key = binascii.unhexlify(req['pskHex'])
if req.get('password'):
    p.encryption.derive_key(req['password'])
out = {'encrypted': p.encryption.algorithm, 'mac': p.mac.algorithm, 'keys': []}
for k in p.keys:
    out['keys'].append({
        'id': k.id, 'serial': k.serial, 'algorithm': k.algorithm, 'suite': k.algorithm_suite,
        'secretHex': binascii.hexlify(k.secret).decode(), 'counter': k.counter,
        'timeOffset': k.time_offset, 'timeInterval': k.time_interval, 'timeDrift': k.time_drift,
        'responseLength': k.response_length, 'responseEncoding': k.response_encoding,
        'manufacturer': k.manufacturer, 'model': k.model, 'issueNo': k.issue_no,
        'startDate': k.start_date.isoformat() if k.start_date else None,
        'cryptoModule': k.crypto_module, 'issuer': k.issuer, 'userId': k.key_userid,
        'keyUsage': list(k.policy.key_usage),
        'policyExpiry': k.policy.expiry_date.isoformat() if k.policy.expiry_date else None,
    })
print(json.dumps(out))
`;

/** Writes a PSKC file with python3-pskc's own serialiser from a JSON description. */
export const PYTHON_WRITE_PSKC = String.raw`
import json, sys, binascii, pskc
req = json.load(sys.stdin)
p = pskc.PSKC()
for k in req['keys']:
    key = p.add_key(
        id=k['id'], serial=k['serial'], secret=binascii.unhexlify(k['secretHex']),
        algorithm=k['algorithm'], response_length=k['digits'], response_encoding='DECIMAL',
        manufacturer=k.get('manufacturer'), model=k.get('model'))
    if k.get('suite'):
        key.algorithm_suite = k['suite']
    if k.get('counter') is not None:
        key.counter = k['counter']
    if k.get('period') is not None:
        key.time_interval = k['period']
        key.time_offset = 0
    if k.get('timeDrift') is not None:
        key.time_drift = k['timeDrift']
if req['protection'] == 'psk':
    p.encryption.setup_preshared_key(key=binascii.unhexlify(req['pskHex']), **({'algorithm': req['encryption']} if req.get('encryption') else {}))
elif req['protection'] == 'password':
    p.encryption.setup_pbkdf2(req['password'], iterations=req.get('iterations', 10000))
p.write(req['path'])
print(json.dumps({'written': req['path']}))
`;
