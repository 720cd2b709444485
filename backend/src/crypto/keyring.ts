/**
 * The key-encryption keys (KEKs) that wrap every secret at rest: fob seeds, app seeds and the
 * registration private key. AES-256-GCM (NIST SP 800-38D) with a fresh 96-bit nonce per
 * encryption and the owning row as associated data, so a ciphertext copied onto another row
 * does not open. The KEK id is stored beside each ciphertext, which is what lets
 * `fobkit-backend kek rotate` re-wrap rows one by one while servers keep running.
 *
 * KEK file (JSON, mode 0600): `{ "version": 1, "current": "<id>", "keys": { "<id>": "<base64 32 bytes>" } }`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { BackendError } from '../errors.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface KeyringFile {
  version: 1;
  current: string;
  keys: Record<string, string>;
}

export interface Keyring {
  /** The KEK id new ciphertexts are made under. */
  readonly currentId: string;
  /** Ids of every KEK this keyring can open. */
  ids(): string[];
  /** `nonce || ciphertext || tag` under the current KEK, bound to `aad`. */
  encrypt(plaintext: Uint8Array, aad: string): { kid: string; blob: Buffer };
  /**
   * Opens a blob made by {@link encrypt}. The caller owns the result and zeroes it.
   * @throws BackendError UNKNOWN_KID when the KEK is not in the file (after one reload),
   *   INTERNAL when the blob does not open (tampered or bound to another row).
   */
  decrypt(kid: string, blob: Uint8Array, aad: string): Buffer;
  /** Zeroes the key material held in memory. */
  dispose(): void;
}

function newKekId(): string {
  return `kek-${randomBytes(4).toString('hex')}`;
}

function readKeyringFile(path: string): KeyringFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new BackendError('CONFIG', `KEK file ${path} cannot be read as JSON`, { cause });
  }
  const f = parsed as KeyringFile;
  if (!f || f.version !== 1 || typeof f.current !== 'string' || typeof f.keys !== 'object' || f.keys === null || typeof f.keys[f.current] !== 'string') {
    throw new BackendError('CONFIG', `KEK file ${path} is not a fobkit KEK file (version 1 with a current key)`);
  }
  for (const [id, b64] of Object.entries(f.keys)) {
    if (typeof b64 !== 'string' || Buffer.from(b64, 'base64').length !== KEY_BYTES) throw new BackendError('CONFIG', `KEK ${id} in ${path} is not 32 bytes of base64`);
  }
  return f;
}

/**
 * A new temp file beside `path`, created 0600 whatever the umask (`wx`: never an old file whose
 * mode we did not choose), holding `file`. The caller renames or links it into place.
 */
function writeTempKeyringFile(path: string, file: KeyringFile): string {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, `${JSON.stringify(file, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/** Writes atomically (temp file + rename) with mode 0600, so a crash never leaves half a file. */
export function writeKeyringFile(path: string, file: KeyringFile): void {
  renameSync(writeTempKeyringFile(path, file), path);
}

/**
 * Creates a KEK file with one fresh key unless it exists. Returns true when it created it.
 * Several servers started at once on one new database race here: the file is linked into place
 * (which fails when it exists) rather than renamed over it, so the first one wins and the others
 * load its key instead of replacing it under the first one's feet.
 */
export function ensureKeyringFile(path: string): boolean {
  if (existsSync(path)) return false;
  const id = newKekId();
  const key = randomBytes(KEY_BYTES);
  const tmp = writeTempKeyringFile(path, { version: 1, current: id, keys: { [id]: key.toString('base64') } });
  key.fill(0);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: a plain rename, losing only the race protection.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      if (existsSync(path)) return false;
      renameSync(tmp, path);
      return true;
    }
    throw e;
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

/** Adds a fresh KEK and makes it current; old keys stay until {@link dropKeys}. Returns the new id. */
export function addKeyToFile(path: string): { newId: string; oldIds: string[] } {
  const f = readKeyringFile(path);
  const newId = newKekId();
  const key = randomBytes(KEY_BYTES);
  const oldIds = Object.keys(f.keys);
  writeKeyringFile(path, { version: 1, current: newId, keys: { ...f.keys, [newId]: key.toString('base64') } });
  key.fill(0);
  return { newId, oldIds };
}

/** Removes retired KEKs from the file (never the current one). */
export function dropKeys(path: string, ids: string[]): void {
  const f = readKeyringFile(path);
  const keys = { ...f.keys };
  for (const id of ids) if (id !== f.current) delete keys[id];
  writeKeyringFile(path, { version: 1, current: f.current, keys });
}

/**
 * Loads the KEK file. A file group or others may read (or write) is refused: the KEK protects
 * every seed in the database. The mode bits are checked, not access(2), so the check holds when
 * the server runs as root too.
 * @throws BackendError FILE_PERMISSIONS when too open; CONFIG when missing or malformed.
 */
export function loadKeyring(path: string): Keyring {
  if (!existsSync(path)) throw new BackendError('CONFIG', `KEK file ${path} does not exist`);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new BackendError('FILE_PERMISSIONS', `KEK file ${path} is open to group or others (mode ${mode.toString(8)}): chmod 600 it`);
  const keys = new Map<string, Buffer>();
  let current = '';
  let loadedMtime = 0;
  const load = (): void => {
    loadedMtime = statSync(path).mtimeMs;
    const f = readKeyringFile(path);
    for (const k of keys.values()) k.fill(0);
    keys.clear();
    for (const [id, b64] of Object.entries(f.keys)) keys.set(id, Buffer.from(b64, 'base64'));
    current = f.current;
  };
  load();
  const keyFor = (kid: string): Buffer => {
    let key = keys.get(kid);
    if (!key) {
      // Another process may have rotated the KEK since we started.
      load();
      key = keys.get(kid);
    }
    if (!key) throw new BackendError('UNKNOWN_KID', `KEK ${kid} is not in ${path}`);
    return key;
  };
  return {
    get currentId() {
      return current;
    },
    ids: () => [...keys.keys()],
    encrypt(plaintext, aad) {
      // New secrets go under the newest KEK even when `kek rotate` ran while we were up.
      if (statSync(path).mtimeMs !== loadedMtime) load();
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyFor(current), nonce);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { kid: current, blob: Buffer.concat([nonce, ct, cipher.getAuthTag()]) };
    },
    decrypt(kid, blob, aad) {
      const key = keyFor(kid);
      if (blob.length < NONCE_BYTES + TAG_BYTES) throw new BackendError('INTERNAL', 'encrypted secret is truncated');
      const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
      const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
      // GCM's final() only checks the tag (it returns no bytes), so update()'s output is the whole
      // plaintext: handed back as is, without a second copy that nobody would zero, and zeroed
      // here when the tag does not match.
      let plain: Buffer | undefined;
      try {
        plain = decipher.update(b.subarray(NONCE_BYTES, b.length - TAG_BYTES));
        decipher.final();
        return plain;
      } catch (cause) {
        plain?.fill(0);
        throw new BackendError('INTERNAL', 'an encrypted secret does not open under its KEK (tampered, or moved to another row)', { cause });
      }
    },
    dispose() {
      for (const k of keys.values()) k.fill(0);
      keys.clear();
    },
  };
}
