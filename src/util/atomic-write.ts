import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Temp file in the same directory, fsync, rename: readers see the old content or the new, never half. */
export async function writeAtomic(path: string, text: string, defaultMode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let mode = defaultMode;
  try {
    mode = (await fs.stat(path)).mode & 0o777;
  } catch {
    // a new file
  }
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  const dir = await fs.open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
