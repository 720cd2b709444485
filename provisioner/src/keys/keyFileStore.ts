/**
 * Reading and writing `fobkit keys` files. Files holding a private key are created with mode
 * 0600 and never overwritten; such a file that others can read is refused (as ssh does), since
 * a key that has been readable may have been copied. Updates of public files (revocation list,
 * registry) go through a temporary file and a rename, so a crash leaves the old or the new file.
 */
import { chmod, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { encodeKeyFile, isPrivateKeyFile, parseKeyFile, type KeyFile, type KeyFileType } from '@fobkit/protocol/session';
import { isProtocolError } from '@fobkit/protocol';

/** A key file problem with a stable code; the CLI prints it and exits with `exitCode`. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: 'KEY_FILE_MISSING' | 'KEY_FILE_EXISTS' | 'KEY_FILE_INVALID' | 'KEY_FILE_PERMISSIONS' | 'KEY_FILE_IO' | 'KEY_MISMATCH',
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 3;

function ioError(e: unknown, path: string, verb: string): KeyFileError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return new KeyFileError('KEY_FILE_MISSING', `${path} does not exist`, EXIT_USAGE, { cause: e });
  if (code === 'EEXIST') return new KeyFileError('KEY_FILE_EXISTS', `${path} already exists; refusing to overwrite a key file`, EXIT_USAGE, { cause: e });
  return new KeyFileError('KEY_FILE_IO', `cannot ${verb} ${path}: ${code ?? String(e)}`, EXIT_UNAVAILABLE, { cause: e });
}

/**
 * Reads and parses a key file; when `expected` is given, the file must be of one of those types.
 * @throws KeyFileError (missing, invalid, wrong type, private key readable by others).
 */
export async function readKeyFile<T extends KeyFileType>(path: string, expected?: readonly T[]): Promise<Extract<KeyFile, { type: T }>> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mode)]);
  } catch (e) {
    throw ioError(e, path, 'read');
  }
  let file: KeyFile;
  try {
    file = parseKeyFile(text);
  } catch (e) {
    if (isProtocolError(e)) throw new KeyFileError('KEY_FILE_INVALID', `${path}: ${e.message}`, EXIT_USAGE, { cause: e });
    throw e;
  }
  if (expected && !(expected as readonly string[]).includes(file.type)) {
    throw new KeyFileError('KEY_FILE_INVALID', `${path} is a ${file.type} file, expected ${expected.join(' or ')}`, EXIT_USAGE);
  }
  if (isPrivateKeyFile(file) && process.platform !== 'win32' && (mode & 0o077) !== 0) {
    file.privateKey.fill(0);
    throw new KeyFileError('KEY_FILE_PERMISSIONS', `${path} holds a private key but is accessible by others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`, EXIT_USAGE);
  }
  return file as Extract<KeyFile, { type: T }>;
}

/**
 * Writes a key file. Private key files: mode 0600, exclusive create (never overwrite). Other
 * files: mode 0600 for the registry, 0644 for what is meant to be handed out (root public key,
 * revocation list); `replace` swaps an existing file atomically.
 * @throws KeyFileError (exists, I/O).
 */
export async function writeKeyFile(path: string, file: KeyFile, options: { replace?: boolean } = {}): Promise<void> {
  const mode = file.type === 'fobkit-root-public-key' || file.type === 'fobkit-revocation-list' ? 0o644 : 0o600;
  const replace = options.replace === true && !isPrivateKeyFile(file);
  const target = replace ? `${path}.${process.pid}.tmp` : path;
  try {
    const handle = await open(target, replace ? 'w' : 'wx', mode);
    try {
      await handle.writeFile(encodeKeyFile(file), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(target, mode); // the umask may have taken bits away from 0644
    if (replace) await rename(target, path);
  } catch (e) {
    if (replace) await unlink(target).catch(() => undefined);
    throw ioError(e, path, 'write');
  }
}
