import { LiveCourse, type ReloadResult } from '../course-file/live-course.js';
import { CourseFileError, type LoadedCourse } from '../course-file/read.js';

/** What a `LiveCourse` is built from. */
export type LiveCourseOptions = ConstructorParameters<typeof LiveCourse>[0];

/** The one line that says a course file now names another course id, and what to do. */
export function idChangedLine(label: string, from: string, to: string): string {
  return (
    `${label}: course.id changed from "${from}" to "${to}"; a course's id cannot change while it runs, so this version ` +
    `was not taken and the course runs on as "${from}": put course.id back, or remove the file and add it again under the new id`
  );
}

/**
 * A course file followed under the one course id it was started with. A version of the file that names another
 * `course.id` is not taken (the course keeps its last version under its own id, and `onIdChanged` says so once per
 * new id): until the catalog sees the change, a course running under another course's id could add a change to
 * that course's log or claim its announcement. A version with the course's own id again is taken as usual (and
 * `onRecovered` says so).
 */
export class PinnedCourse extends LiveCourse {
  readonly #id: string;
  readonly #label: string;
  /** The last version with the course's own id: what every reader sees. */
  #taken: LoadedCourse;
  /** The other id the file names now, once told. */
  #told: string | undefined;

  constructor(options: LiveCourseOptions & { readonly onIdChanged: (line: string) => void }) {
    // The change listener needs the course, which exists only once `super` returns (and it is called only after).
    const self: { course?: PinnedCourse } = {};
    super({
      ...options,
      onChange: (reason) => {
        const course = self.course;
        if (course) course.#changed(reason, options);
      },
    });
    self.course = this;
    this.#id = options.initial.course.id;
    this.#label = options.label;
    this.#taken = options.initial;
  }

  override get loaded(): LoadedCourse {
    return this.#taken;
  }

  override get course(): LoadedCourse['course'] {
    return this.#taken.course;
  }

  override get file(): LoadedCourse['file'] {
    return this.#taken.file;
  }

  override reload(reason: string): ReloadResult {
    return this.#checked(super.reload(reason));
  }

  override async reloadOffThread(reason: string): Promise<ReloadResult> {
    return this.#checked(await super.reloadOffThread(reason));
  }

  /** A reload that read another id is a refusal for whoever asked for it (`/course reload`). */
  #checked(result: ReloadResult): ReloadResult {
    const other = this.#otherId();
    if (!result.ok || other === undefined) return result;
    const line = idChangedLine(this.#label, this.#id, other);
    return { ok: false, error: new CourseFileError(this.#label, [{ file: this.#label, path: 'course.id', message: line.slice(this.#label.length + 2) }]) };
  }

  #changed(reason: string, options: LiveCourseOptions & { readonly onIdChanged: (line: string) => void }): void {
    const other = this.#otherId();
    if (other !== undefined) {
      if (this.#told !== other) options.onIdChanged(idChangedLine(this.#label, this.#id, other));
      this.#told = other;
      return;
    }
    this.#taken = super.loaded;
    if (this.#told !== undefined) {
      this.#told = undefined;
      options.onRecovered?.();
    }
    options.onChange?.(reason);
  }

  /** The id the file names now, when it is not the course's own. */
  #otherId(): string | undefined {
    const id = super.loaded.course.id;
    return id === this.#id ? undefined : id;
  }
}
