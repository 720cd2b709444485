/**
 * Where the simulated fobs' factory root public key comes from: a `fobkit keys` file given with
 * `--root-key` (`root.pub.json`, or `root.key.json`, of which only the public half is used), or,
 * for a quick start, a development root that the simulator creates once in the state directory,
 * laid out exactly like `fobkit keys root create --out DIR/sim-root` (root.key.json 0600,
 * root.pub.json, crl.json, stations.json), so that `fobkit keys station issue --root
 * DIR/sim-root …` certifies a station for these fobs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRevocationList, encodeKeyFile, generateSigningKeyPair, keyFingerprint, parseKeyFile, type KeyFile } from '@fobkit/protocol/session';

export const DEV_ROOT_DIR = 'sim-root';

export interface RootKeySource {
  publicKey: Uint8Array;
  fingerprint: string;
  /** The file it came from (or was created as). */
  file: string;
  /** The development root directory when no `--root-key` was given. */
  rootDir: string | null;
  created: boolean;
}

/** @throws ProtocolError INVALID_ENCODING for a file that is not a key file; TypeError for another kind of key file; Error on I/O. */
export function loadRootKey(options: { rootKeyFile?: string; stateDir: string }): RootKeySource {
  const rootDir = options.rootKeyFile ? null : join(options.stateDir, DEV_ROOT_DIR);
  const file = options.rootKeyFile ?? join(rootDir!, 'root.pub.json');
  if (options.rootKeyFile || existsSync(file)) {
    const parsed = parseKeyFile(readFileSync(file, 'utf8'));
    if (parsed.type !== 'fobkit-root-key' && parsed.type !== 'fobkit-root-public-key') {
      throw new TypeError(`${file} is a ${parsed.type} file; --root-key needs root.pub.json (or root.key.json) from fobkit keys root create`);
    }
    return { publicKey: parsed.publicKey, fingerprint: keyFingerprint(parsed.publicKey), file, rootDir, created: false };
  }
  mkdirSync(rootDir!, { recursive: true, mode: 0o700 });
  const pair = generateSigningKeyPair();
  const fingerprint = keyFingerprint(pair.publicKey);
  const now = Math.floor(Date.now() / 1000);
  const write = (name: string, content: KeyFile, secret = false) => {
    const path = join(rootDir!, name);
    writeFileSync(path, encodeKeyFile(content), { mode: secret ? 0o600 : 0o644 });
    if (secret) chmodSync(path, 0o600);
  };
  try {
    write('root.key.json', { type: 'fobkit-root-key', publicKey: pair.publicKey, privateKey: pair.privateKey, fingerprint, createdAt: new Date(now * 1000).toISOString() }, true);
    write('crl.json', { type: 'fobkit-revocation-list', seq: 0, ids: [], issuedAt: now, revocationList: createRevocationList({ rootPrivateKey: pair.privateKey, seq: 0, ids: [], issuedAt: now }) });
    write('stations.json', { type: 'fobkit-station-registry', nextId: 1, stations: [] });
    // Last: its presence means the directory is complete.
    write('root.pub.json', { type: 'fobkit-root-public-key', publicKey: pair.publicKey, fingerprint });
  } finally {
    pair.privateKey.fill(0);
  }
  return { publicKey: pair.publicKey, fingerprint, file, rootDir, created: true };
}
