/**
 * Writing a file that holds secrets (encrypted or not) so that no reader ever sees half of it and
 * a crash never leaves a torn one: the text goes into a temporary file beside the target (mode
 * 0600, exclusive create), is fsynced, then linked (`create`: an existing file is never
 * clobbered) or renamed (`replace`) into place, and the directory is fsynced so the new name
 * survives a power cut too.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * @throws the file system's error; with `mode: 'create'` an existing `path` gives code EEXIST.
 */
export async function writePrivateFile(path: string, text: string, options: { mode: 'create' | 'replace' }): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  try {
    if (options.mode === 'replace') await rename(tmp, path);
    else await link(tmp, path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
