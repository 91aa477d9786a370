import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Message } from '../../src/core/messages.js';
import type { Messenger, PostOptions } from '../../src/core/ports.js';
import { CourseRuntime, InstructorLine } from '../../src/courses/runtime.js';
import { singleCourseTargets } from '../../src/courses/targets.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Channel implements Messenger {
  readonly target = 'fake:1';
  readonly posts: { key: string; text: string }[] = [];
  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    this.posts.push({ key: options.key, text: message.text });
    return Promise.resolve({ id: `m${this.posts.length}` });
  }
  findPosted(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
}

const alice = { platform: 'test', id: 'alice' };

async function runtime(name: string) {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(courseDoc()));
  const config = loadConfig({ env: { COURSE_FILE: path, STATE_DB: ':memory:' }, dotenv: false });
  const { logger, lines } = captureLogger();
  const store = new MemoryStore();
  const course = await CourseRuntime.load({
    config,
    store: () => store,
    logger,
    instructors: new InstructorLine(logger),
    file: { path: config.courseFile, label: config.courseFileLabel },
    targets: (loaded) => singleCourseTargets(loaded.file.targets, config),
    // Wednesday 6 January 2027, 10:00 in Copenhagen: a session day, after the morning announcement.
    clock: () => ({ now: () => new Date('2027-01-06T09:00:00Z') }),
  });
  return { course, lines, store, path };
}

describe('CourseRuntime: one course, started once the platforms are up', () => {
  it('answers for its course before it starts, says it is still starting, then posts through the ports it is given', async () => {
    const { course } = await runtime('posting');
    try {
      expect(course.scope.course().id).toBe('demo');
      expect(await course.admin.announce(alice)).toMatchObject({ sent: [], nothing: 'The bot is still starting; try again in a moment.' });
      const channel = new Channel();
      course.start([{ platform: 'fake', announce: [channel], direct: [] }]);
      // Started after the morning's time: the announcer catches up at once, and an instructor's post is not repeated.
      await vi.waitFor(() => expect(channel.posts.map((post) => post.key)).toEqual(['demo:2027-01-06:daily:fake:1']));
      expect(await course.admin.announce(alice)).toEqual({ sent: [], already: ['demo:2027-01-06:daily:fake:1'], failed: [], busy: [] });
      expect(channel.posts).toHaveLength(1);
      expect(channel.posts[0]!.text).toContain('Configs');
    } finally {
      await course.stop();
      course.close();
    }
  });

  it("names the course by its file as last read, without reading the change log (routing asks every course's name per command)", async () => {
    const { course, store, path } = await runtime('named');
    try {
      const versions = vi.spyOn(store, 'changesVersion');
      expect(course.name).toBe('Demo Course');
      writeFileSync(path, stringify(courseDoc({ course: { ...courseDoc().course, name: 'Renamed Course' } })));
      course.effective.live.reload('test');
      expect(course.name).toBe('Renamed Course');
      expect(versions).not.toHaveBeenCalled();
      // The effective course (the file with the stored changes) has the same name.
      expect(course.course().name).toBe('Renamed Course');
      expect(versions).toHaveBeenCalled();
    } finally {
      course.close();
    }
  });

  it('without an announcement channel, announcements are off, and says so', async () => {
    const { course, lines } = await runtime('off');
    try {
      course.start([{ platform: 'fake', announce: [], direct: [] }]);
      expect(await course.admin.announce(alice)).toMatchObject({ nothing: 'No announcement channel is configured.' });
      expect(lines.join('\n')).toContain('morning announcements are off');
    } finally {
      await course.stop();
      course.close();
    }
  });
});
