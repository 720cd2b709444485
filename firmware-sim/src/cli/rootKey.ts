/**
 * Where the simulated fobs' factory root public key comes from: a `fobkit keys` file given with
 * `--root-key` (a root public key file or the root key file itself; only the public half is
 * used), or, for a quick start, a development root the simulator creates once in the state
 * directory (`sim-root-key.json`, 0600) so that `fobkit keys station --root …` can certify a
 * station for these fobs.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeKeyFile, generateSigningKeyPair, keyFingerprint, parseKeyFile } from '@fobkit/protocol/session';

export const DEV_ROOT_FILE = 'sim-root-key.json';

export interface RootKeySource {
  publicKey: Uint8Array;
  fingerprint: string;
  /** The file it came from (or was created in). */
  file: string;
  created: boolean;
}

/** @throws ProtocolError INVALID_ENCODING for a file that is not a root key file; Error on I/O. */
export function loadRootKey(options: { rootKeyFile?: string; stateDir: string }): RootKeySource {
  const file = options.rootKeyFile ?? join(options.stateDir, DEV_ROOT_FILE);
  if (options.rootKeyFile || existsSync(file)) {
    const parsed = parseKeyFile(readFileSync(file, 'utf8'));
    if (parsed.type !== 'fobkit-root-key' && parsed.type !== 'fobkit-root-public-key') {
      throw new TypeError(`${file} is a ${parsed.type} file; --root-key needs a root key or root public key file`);
    }
    return { publicKey: parsed.publicKey, fingerprint: keyFingerprint(parsed.publicKey), file, created: false };
  }
  const pair = generateSigningKeyPair();
  const fingerprint = keyFingerprint(pair.publicKey);
  writeFileSync(file, encodeKeyFile({ type: 'fobkit-root-key', publicKey: pair.publicKey, privateKey: pair.privateKey, fingerprint, createdAt: new Date().toISOString() }), { mode: 0o600 });
  chmodSync(file, 0o600);
  pair.privateKey.fill(0);
  return { publicKey: pair.publicKey, fingerprint, file, created: true };
}
