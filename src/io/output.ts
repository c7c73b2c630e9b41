import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { either } from 'fp-ts';
import type { Either } from 'fp-ts/Either';

/** A problem with an output or input location: its message names the path and what is wrong. */
export class FileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileError';
  }
}

/** statfs types of kernel filesystems that are not storage (writes there hang, fail or do odd things). */
const SPECIAL_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
]);

/** The kernel filesystem `p` (an existing path) lives on, or null for ordinary storage. */
const specialFs = (p: string): string | null => {
  const real = fs.realpathSync(p);
  if (real === '/dev' || (real.startsWith('/dev/') && !real.startsWith('/dev/shm'))) return 'devices (/dev)';
  try {
    return SPECIAL_FS.get(Number(fs.statfsSync(real).type)) ?? null;
  } catch {
    return null;
  }
};

/** `p` or its nearest existing ancestor. */
const existingAncestor = (p: string): string => {
  let q = path.resolve(p);
  while (!fs.existsSync(q)) {
    const up = path.dirname(q);
    if (up === q) break;
    q = up;
  }
  return q;
};

/**
 * Checks, before any work, that `dir` can receive outputs: it is a directory or can be created
 * (its nearest existing ancestor is a writable directory), and it is not on a kernel
 * filesystem such as /proc. Throws a `FileError` naming `what` and the path.
 */
export const checkOutputDir = (dir: string, what = '--out'): void => {
  const fail = (m: string): never => {
    throw new FileError(`${what} ${dir}: ${m}`);
  };
  if (dir.includes('\0')) fail('the path contains a NUL byte');
  const at = existingAncestor(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(at);
  } catch (e) {
    return fail(`cannot use it: ${(e as Error).message}`);
  }
  const self = at === path.resolve(dir);
  if (!st.isDirectory()) fail(self ? 'exists and is not a directory' : `${at} is not a directory, so the folder cannot be created`);
  const special = specialFs(at);
  if (special) fail(`is on a special filesystem (${special}), not storage; give a folder on disk`);
  try {
    fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    fail(self ? 'the folder is not writable' : `cannot create it: ${at} is not writable`);
  }
};

/**
 * Checks that `file` is a regular file that can be read (not a folder, a pipe or a device,
 * which could block forever) and at most `maxBytes` long. Throws a `FileError` naming it.
 */
export const checkInputFile = (file: string, what: string, maxBytes = Infinity): void => {
  const fail = (m: string): never => {
    throw new FileError(`${what} ${file}: ${m}`);
  };
  if (file.includes('\0')) fail('the path contains a NUL byte');
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'no such file' : `cannot read it: ${(e as Error).message}`);
  }
  if (st.isDirectory()) fail('is a folder, not a file');
  if (!st.isFile()) fail('is not a regular file (a pipe, socket or device); give a file on disk');
  if (st.size > maxBytes) fail(`is ${st.size} bytes; the limit is ${maxBytes}`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    fail('is not readable');
  }
};

/** Staging folders of this process not yet committed or discarded (removed on a signal). */
const live = new Set<Staging>();

/** Removes every staging folder still open; returns how many it removed. For signal handlers. */
export const discardAllStaging = (): number => {
  const n = live.size;
  for (const s of [...live]) s.discard();
  return n;
};

/**
 * A set of output files written into a hidden staging folder and moved into `dir` together
 * (`commit`), or not at all (`discard`; also on SIGINT/SIGTERM through `discardAllStaging`).
 * When `dir` does not exist, the staging folder is created in its nearest existing ancestor and
 * renamed to `dir` in one step; otherwise each destination is checked first (a folder in the
 * way is an error before anything moves), files already there are set aside, the new files
 * moved in, and on any failure the moves are undone.
 */
export class Staging {
  readonly folder: string;
  private readonly fresh: boolean;
  private done = false;

  constructor(readonly dir: string) {
    this.fresh = !fs.existsSync(dir);
    const parent = this.fresh ? existingAncestor(dir) : dir;
    // mkdir, not mkdtemp: the folder becomes `dir` itself, so it takes the umask's mode (mkdtemp's is 0700)
    this.folder = path.join(parent, `.poseloss-staging-${process.pid}-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(this.folder);
    live.add(this);
  }

  /** Where to write output `name` (a plain file name) until commit. */
  file(name: string): string {
    if (name !== path.basename(name) || name.startsWith('.')) throw new FileError(`output name '${name}' is not a plain file name`);
    return path.join(this.folder, name);
  }

  /** Moves every staged file into `dir`, all or nothing; the staging folder is gone afterwards. */
  commit(): string[] {
    if (this.done) throw new Error('staging already committed or discarded');
    const names = fs.readdirSync(this.folder).filter((n) => !n.startsWith('.'));
    try {
      if (this.fresh) this.commitFresh();
      else this.commitInto(names);
    } finally {
      this.discard();
    }
    return names.map((n) => path.join(this.dir, n));
  }

  private commitFresh(): void {
    const target = path.resolve(this.dir);
    // parents of dir that do not exist yet (dir itself is the staging folder, renamed)
    const created = fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      fs.renameSync(this.folder, target);
    } catch (e) {
      if (created) fs.rmSync(created, { recursive: true, force: true });
      throw new FileError(`cannot write to ${this.dir}: ${(e as Error).message}`);
    }
  }

  private commitInto(names: readonly string[]): void {
    for (const n of names) {
      const dest = path.join(this.dir, n);
      let st: fs.Stats | null = null;
      try {
        st = fs.lstatSync(dest);
      } catch {
        st = null;
      }
      if (st && st.isDirectory()) throw new FileError(`cannot write ${dest}: a folder of that name is in the way; nothing was written`);
      if (st && !st.isFile() && !st.isSymbolicLink())
        throw new FileError(`cannot write ${dest}: something that is not a file is in the way; nothing was written`);
    }
    const aside = path.join(this.folder, '.replaced');
    fs.mkdirSync(aside);
    const setAside: string[] = [];
    const movedIn: string[] = [];
    try {
      for (const n of names) {
        const dest = path.join(this.dir, n);
        if (fs.existsSync(dest) || isLink(dest)) {
          fs.renameSync(dest, path.join(aside, n));
          setAside.push(n);
        }
      }
      for (const n of names) {
        fs.renameSync(path.join(this.folder, n), path.join(this.dir, n));
        movedIn.push(n);
      }
    } catch (e) {
      for (const n of movedIn) fs.rmSync(path.join(this.dir, n), { force: true });
      for (const n of setAside) fs.renameSync(path.join(aside, n), path.join(this.dir, n));
      throw new FileError(`cannot write to ${this.dir}: ${(e as Error).message}; nothing was written`);
    }
  }

  /** Removes the staging folder and everything in it (idempotent). */
  discard(): void {
    live.delete(this);
    if (this.done) return;
    this.done = true;
    fs.rmSync(this.folder, { recursive: true, force: true });
  }
}

const isLink = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

/** Writes a file from chunks (a new file: an existing one is an error). */
export const writeChunks = (file: string, chunks: Iterable<string>): void => {
  const fd = fs.openSync(file, 'wx');
  try {
    for (const c of chunks) fs.writeSync(fd, c);
  } finally {
    fs.closeSync(fd);
  }
};

/**
 * Output files written all or nothing: `write` puts them into a Staging folder, then they move into
 * `dir` together. A file error (FileError or an OS error) is a Left naming `dir` — nothing written;
 * anything else is rethrown. Right: the paths written.
 */
export const writeStaged = (dir: string, write: (stage: Staging) => void): Either<string, string[]> => {
  const stage = new Staging(dir);
  try {
    write(stage);
    return either.right(stage.commit());
  } catch (e) {
    if (e instanceof FileError || (e as NodeJS.ErrnoException).code) return either.left(`cannot write to ${dir}: ${(e as Error).message}`);
    throw e;
  } finally {
    stage.discard();
  }
};
