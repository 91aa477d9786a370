import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { captureLogger } from '../support/log.js';

// Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-live-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = readFileSync('data/course.yaml', 'utf8');
const BROKEN = seed.replace('- day: tuesday\n        topic: "Code organisation', '- day: tusday\n        topic: "Code organisation');

function setup(name: string, path = join(dir, name)) {
  if (!path.includes('..data')) writeFileSync(path, seed);
  const { logger, lines } = captureLogger();
  const refused: string[] = [];
  const events: string[] = [];
  const live = new LiveCourse({
    path,
    label: name,
    initial: loadCourseFile(path, name),
    logger,
    onInvalid: (error) => {
      refused.push(error.message);
      events.push('invalid');
    },
    onChange: () => events.push('change'),
    onRecovered: () => events.push('recovered'),
  });
  return { path, live, lines, refused, events };
}

/** Waits (polling) until `done` holds, or about 30 s have passed; a busy machine may deliver events late (and a reload starts a worker thread). */
async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; waited < 30_000 && !done(); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('LiveCourse', () => {
  it('takes a valid new file at once, and says when nothing changed', () => {
    const { path, live } = setup('valid.yaml');
    expect(live.reload('test')).toEqual({ ok: true, changed: false, recovered: false });
    writeFileSync(path, seed.replace('topic: Training in the sky', 'topic: Training in the clouds'));
    expect(live.reload('test')).toEqual({ ok: true, changed: true, recovered: false });
    expect(live.course.sessions[5]!.topic).toBe('Training in the clouds');
  });

  it('refuses a broken file with its errors and keeps the last good course', () => {
    const { path, live, lines, refused } = setup('broken.yaml');
    writeFileSync(path, BROKEN);
    const result = live.reload('SIGHUP');
    expect(result.ok).toBe(false);
    expect(live.course.sessions[1]!.topic).toBe('Code organisation: why it matters');
    expect(refused[0]).toMatch(/broken\.yaml:\d+:\d+ weeks\[0\]\.sessions\[1\]\.day: tusday is not a weekday/);
    expect(lines.join('')).toContain('course file refused; the last good schedule stays live');
  });

  it('gives the all-clear once when a refused file is fixed, changed or back as it was', () => {
    const { path, live, lines, events } = setup('fixed.yaml');
    writeFileSync(path, BROKEN);
    expect(live.reload('file changed').ok).toBe(false);
    writeFileSync(path, seed);
    expect(live.reload('file changed')).toEqual({ ok: true, changed: false, recovered: true });
    expect(live.reload('SIGHUP')).toEqual({ ok: true, changed: false, recovered: false });
    writeFileSync(path, BROKEN);
    expect(live.reload('file changed').ok).toBe(false);
    expect(live.reload('file changed').ok).toBe(false);
    writeFileSync(path, seed.replace('topic: Training in the sky', 'topic: Training in the clouds'));
    expect(live.reload('/course reload by alice')).toEqual({ ok: true, changed: true, recovered: true });
    expect(events).toEqual(['invalid', 'recovered', 'invalid', 'invalid', 'recovered', 'change']);
    const accepted = lines.filter((line) => line.includes('course file accepted again')).map((line) => JSON.parse(line) as object);
    expect(accepted).toEqual([
      expect.objectContaining({ level: 30, file: 'fixed.yaml', reason: 'file changed' }),
      expect.objectContaining({ level: 30, file: 'fixed.yaml', reason: '/course reload by alice' }),
    ]);
  });

  it('survives a listener that throws: the reload stands, the failure is logged', () => {
    const path = join(dir, 'listener.yaml');
    writeFileSync(path, seed);
    const { logger, lines } = captureLogger();
    const live = new LiveCourse({
      path,
      label: 'listener.yaml',
      initial: loadCourseFile(path),
      logger,
      onChange: () => {
        throw new Error('publisher down');
      },
      onInvalid: () => {
        throw new Error('chat down');
      },
    });
    writeFileSync(path, seed.replace('topic: Training in the sky', 'topic: Training in the clouds'));
    expect(live.reload('test')).toEqual({ ok: true, changed: true, recovered: false });
    expect(live.course.sessions[5]!.topic).toBe('Training in the clouds');
    writeFileSync(path, BROKEN);
    expect(live.reload('test').ok).toBe(false);
    const failures = lines.filter((line) => line.includes('course file listener failed')).map((line) => JSON.parse(line) as { err: { message: string } });
    expect(failures.map((line) => line.err.message)).toEqual(['publisher down', 'chat down']);
  });

  it('refuses a FIFO put in place of the file, without blocking', async () => {
    const { path, live, refused } = setup('fifo.yaml');
    rmSync(path);
    execFileSync('mkfifo', [path]);
    const source = join(dir, 'fifo-source.yaml');
    writeFileSync(source, seed.replace('topic: Training in the sky', 'topic: Written into the FIFO'));
    // A reader that blocked would get this course from the writer (and fail the test) rather than hang.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, path], { stdio: 'ignore' });
    const closed = new Promise((resolve) => writer.once('close', resolve));
    try {
      expect(live.reload('SIGHUP').ok).toBe(false);
      expect(refused).toEqual([
        'fifo.yaml: 1 problem\nfifo.yaml is a named pipe (FIFO), not a regular file: a course file must be a regular file (a symlink to one is fine)',
      ]);
      expect(live.course.sessions[5]!.topic).toBe('Training in the sky');
    } finally {
      writer.kill();
      await closed;
    }
  });

  it('reloads when an editor replaces the file', async () => {
    const { path, live } = setup('watched.yaml');
    const stop = live.watch(50);
    try {
      const temporary = `${path}.swp`;
      writeFileSync(temporary, seed.replace('topic: Deployment', 'topic: Deployment and serving'));
      renameSync(temporary, path);
      await eventually(() => live.course.sessions[12]!.topic === 'Deployment and serving');
      expect(live.course.sessions[12]!.topic).toBe('Deployment and serving');
    } finally {
      stop();
    }
  });

  it('reloads a symlinked file when its target in another directory is edited in place', async () => {
    const elsewhere = join(dir, 'repository');
    mkdirSync(elsewhere);
    const target = join(elsewhere, 'course.yaml');
    writeFileSync(target, seed);
    const link = join(dir, 'linked.yaml');
    symlinkSync(target, link);
    const { live } = setup('linked.yaml', link);
    const stop = live.watch(50);
    try {
      writeFileSync(target, seed.replace('topic: Deployment', 'topic: Deployment, edited in the repository'));
      await eventually(() => live.course.sessions[12]!.topic === 'Deployment, edited in the repository');
      expect(live.course.sessions[12]!.topic).toBe('Deployment, edited in the repository');
    } finally {
      stop();
    }
  });

  it('follows a Kubernetes ConfigMap update: ..data swapped to a new directory, twice', async () => {
    // The layout kubelet writes: course.yaml -> ..data/course.yaml, ..data -> ..<timestamp>; an update
    // writes a new timestamped directory, points ..data_tmp at it, renames ..data_tmp over ..data,
    // then removes the old directory.
    const volume = join(dir, 'configmap');
    mkdirSync(volume);
    const version = (name: string, text: string) => {
      mkdirSync(join(volume, name));
      writeFileSync(join(volume, name, 'course.yaml'), text);
    };
    version('..2027_01_01_10_00_00.1', seed);
    symlinkSync('..2027_01_01_10_00_00.1', join(volume, '..data'));
    symlinkSync('..data/course.yaml', join(volume, 'course.yaml'));
    const swap = (from: string, to: string, text: string) => {
      version(to, text);
      symlinkSync(to, join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
      rmSync(join(volume, from), { recursive: true });
    };
    const { live, events } = setup('course.yaml', join(volume, 'course.yaml'));
    const stop = live.watch(50);
    try {
      swap('..2027_01_01_10_00_00.1', '..2027_01_02_10_00_00.2', seed.replace('topic: Deployment', 'topic: Second version'));
      await eventually(() => live.course.sessions[12]!.topic === 'Second version');
      expect(live.course.sessions[12]!.topic).toBe('Second version');
      swap('..2027_01_02_10_00_00.2', '..2027_01_03_10_00_00.3', seed.replace('topic: Deployment', 'topic: Third version'));
      await eventually(() => live.course.sessions[12]!.topic === 'Third version');
      expect(live.course.sessions[12]!.topic).toBe('Third version');
      expect(events).toEqual(['change', 'change']);
    } finally {
      stop();
    }
  });
  it('follows a folder moved away and made again: the next edits are seen, by the periodic check', async () => {
    const volume = join(dir, 'volume');
    mkdirSync(volume);
    const { path, live } = setup('volume.yaml', join(volume, 'course.yaml'));
    const stop = live.watch(50, 200);
    try {
      renameSync(volume, join(dir, 'volume.old'));
      mkdirSync(volume);
      writeFileSync(path, seed.replace('topic: Deployment', 'topic: In the new folder'));
      await eventually(() => live.course.sessions[12]!.topic === 'In the new folder');
      expect(live.course.sessions[12]!.topic).toBe('In the new folder');
      writeFileSync(path, seed.replace('topic: Deployment', 'topic: Edited again'));
      await eventually(() => live.course.sessions[12]!.topic === 'Edited again');
      expect(live.course.sessions[12]!.topic).toBe('Edited again');
    } finally {
      stop();
    }
  });

  it('watches the new folder after a SIGHUP, without waiting for the periodic check', async () => {
    const volume = join(dir, 'volume-hup');
    mkdirSync(volume);
    const { path, live } = setup('volume-hup.yaml', join(volume, 'course.yaml'));
    const stop = live.watch(50, 3_600_000);
    try {
      renameSync(volume, join(dir, 'volume-hup.old'));
      mkdirSync(volume);
      writeFileSync(path, seed.replace('topic: Deployment', 'topic: In the new folder'));
      // What the old watcher saw of the move has been handled by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(live.reload('SIGHUP').ok).toBe(true);
      expect(live.course.sessions[12]!.topic).toBe('In the new folder');
      await new Promise((resolve) => setTimeout(resolve, 500));
      writeFileSync(path, seed.replace('topic: Deployment', 'topic: Edited after the SIGHUP'));
      await eventually(() => live.course.sessions[12]!.topic === 'Edited after the SIGHUP');
      expect(live.course.sessions[12]!.topic).toBe('Edited after the SIGHUP');
    } finally {
      stop();
    }
  });

  it('follows a Capistrano release swap: current -> releases/N in the middle of the path, and edits in the new release', async () => {
    const app = join(dir, 'app');
    const release = (number: number, text: string) => {
      mkdirSync(join(app, 'releases', String(number), 'data'), { recursive: true });
      writeFileSync(join(app, 'releases', String(number), 'data', 'course.yaml'), text);
    };
    // As `ln -sfn` with a rename: the new link is made aside and renamed over `current`.
    const swap = (number: number) => {
      symlinkSync(join('releases', String(number)), join(app, 'current_tmp'));
      renameSync(join(app, 'current_tmp'), join(app, 'current'));
    };
    release(1, seed);
    symlinkSync(join('releases', '1'), join(app, 'current'));
    const { live, events } = setup('current.yaml', join(app, 'current', 'data', 'course.yaml'));
    // No periodic check within the test: the file events alone must see the swaps.
    const stop = live.watch(50, 3_600_000);
    try {
      release(2, seed.replace('topic: Deployment', 'topic: Release 2'));
      swap(2);
      await eventually(() => live.course.sessions[12]!.topic === 'Release 2');
      expect(live.course.sessions[12]!.topic).toBe('Release 2');
      writeFileSync(join(app, 'releases', '2', 'data', 'course.yaml'), seed.replace('topic: Deployment', 'topic: Release 2, edited'));
      await eventually(() => live.course.sessions[12]!.topic === 'Release 2, edited');
      expect(live.course.sessions[12]!.topic).toBe('Release 2, edited');
      // An edit to the release no longer live is not the course.
      writeFileSync(join(app, 'releases', '1', 'data', 'course.yaml'), seed.replace('topic: Deployment', 'topic: Old release'));
      release(3, seed.replace('topic: Deployment', 'topic: Release 3'));
      swap(3);
      await eventually(() => live.course.sessions[12]!.topic === 'Release 3');
      expect(live.course.sessions[12]!.topic).toBe('Release 3');
      expect(events).toEqual(['change', 'change', 'change']);
    } finally {
      stop();
    }
  });
});
