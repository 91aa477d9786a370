import type { Course } from '../course/model.js';
import type { Message } from '../messages.js';

/**
 * Answers of student commands, per course and minute. Their answers depend only on the course and the time to
 * the minute (dates, and `dayStart` as HH:MM), so a burst of students asking the same thing at 09:00 costs one
 * run. Emptied whenever the minute or the course changes; holds at most `limit` answers.
 */
export class AnswerCache {
  #course: Course | undefined;
  #minute = -1;
  readonly #answers = new Map<string, Message>();

  constructor(private readonly limit = 1_000) {}

  /** The answer under `key` for this course and minute, computed (and kept) when there is none yet. */
  get(course: Course, now: Date, key: string, compute: () => Message): Message {
    const minute = Math.floor(now.getTime() / 60_000);
    if (course !== this.#course || minute !== this.#minute) {
      this.#answers.clear();
      this.#course = course;
      this.#minute = minute;
    }
    let answer = this.#answers.get(key);
    if (!answer) {
      answer = compute();
      if (this.#answers.size < this.limit) this.#answers.set(key, answer);
    }
    return answer;
  }
}
