import type { Course, Resource, Session } from '../course/model.js';
import { message } from '../messages.js';
import { normalize, resourceIndex, resourceLink, sessionResources } from '../views.js';
import { quoted } from '../text.js';
import { defineCommand } from './command.js';

/** Every tag of the course's resources, sorted: the topics `/resources` knows. */
export function knownTopics(course: Course): string[] {
  return [...new Set(course.resources.flatMap((resource) => resource.tags.map(normalize)))].sort();
}

/** Known topics for what the user has typed: those starting with it first, then those containing it. */
export function suggestTopics(course: Course, typed: string): string[] {
  const query = normalize(typed);
  const topics = knownTopics(course);
  if (!query) return topics;
  return [
    ...topics.filter((topic) => topic.startsWith(query)),
    ...topics.filter((topic) => !topic.startsWith(query) && topic.includes(query)),
  ];
}

/**
 * Lowercase words of a text: letters and digits, with `+` and `#` kept at a word's end (`c++`, `c#`),
 * and `&` read as "and". So `Weights & Biases` is `weights`, `and`, `biases`; `CI/CD` is `ci`, `cd`.
 */
function words(text: string): string[] {
  return normalize(text).replace(/&/g, ' and ').match(/[\p{L}\p{N}]+[+#]*/gu) ?? [];
}

/** A text's words (see `words`), as a list and a set, and the spellings it is known by (see `spellings`). */
interface Words {
  readonly list: readonly string[];
  readonly set: Pick<ReadonlySet<string>, 'has'>;
  readonly spellings: readonly string[];
}

/**
 * The spellings a name is known by, without spaces and punctuation: the whole name (`W & B`, `w&b`
 * and `wandb` are all `wandb`; `CI/CD` and `ci-cd` are `cicd`) and, for a name of several words, its
 * initials with "and" kept (`Weights & Biases` is `wandb` too).
 */
function spellings(parts: readonly string[]): string[] {
  const whole = parts.join('');
  const initials = parts.map((part) => (part === 'and' ? part : part.charAt(0))).join('');
  return parts.length > 1 && initials.length > 1 ? [whole, initials] : [whole];
}

/**
 * Each session's topic (by place in `course.sessions`) in lowercase, its words (made when a query first needs
 * them), and every framework name the sessions use.
 */
interface SessionWords {
  readonly sessions: readonly Session[];
  readonly lowered: readonly (string | undefined)[];
  readonly topics: (Words | undefined)[];
  readonly frameworks: ReadonlySet<string>;
}

const sessionWordsByCourse = new WeakMap<Course, SessionWords>();

/**
 * Worked out once per course, in one plain pass: the first `/resources <topic>` after a load reads every
 * session's topic, and a long course has thousands. A topic is matched by its words only (no spellings: those
 * are for names), so only what that needs is made, and only for the topics whose text holds the query's words.
 */
function sessionWords(course: Course): SessionWords {
  let found = sessionWordsByCourse.get(course);
  if (!found) {
    const sessions = course.sessions;
    const lowered: (string | undefined)[] = new Array<string | undefined>(sessions.length);
    const frameworks = new Set<string>();
    for (let index = 0; index < sessions.length; index += 1) {
      const session = sessions[index]!;
      lowered[index] = session.topic?.toLowerCase();
      for (const framework of session.frameworks) frameworks.add(framework);
    }
    sessionWordsByCourse.set(course, (found = { sessions, lowered, topics: new Array<Words | undefined>(sessions.length), frameworks }));
  }
  return found;
}

/** A topic's words: a list, and a set made only for a long topic (a short list is searched faster than a set is made). */
function topicWords(text: string): Words {
  const list = words(text);
  return { list, set: list.length > 8 ? new Set(list) : new ListSet(list), spellings: [] };
}

/** The `has` of a set, over a short list. */
class ListSet implements Pick<ReadonlySet<string>, 'has'> {
  constructor(private readonly list: readonly string[]) {}
  has(value: string): boolean {
    return this.list.includes(value);
  }
}

const wordsByCourse = new WeakMap<Course, Map<string, Words>>();

/**
 * The words of the texts of a course (topics, frameworks, tags, titles), worked out once per course: a query
 * looks at every session, and a long course has thousands.
 */
function wordsOf(course: Course): (text: string) => Words {
  let known = wordsByCourse.get(course);
  if (!known) wordsByCourse.set(course, (known = new Map<string, Words>()));
  const cache = known;
  return (text) => {
    let found = cache.get(text);
    if (!found) {
      const list = words(text);
      cache.set(text, (found = { list, set: new Set(list), spellings: spellings(list) }));
    }
    return found;
  };
}

/** Whether a name is the query (its words `wanted`, joined), spelled another way. */
function sameName(text: Words, wanted: string): boolean {
  return wanted.length > 0 && text.spellings.includes(wanted);
}

/** Whether every word of the query is a whole word of the text (`git` is not `GitHub`). */
function wholeWords(text: Words, query: readonly string[]): boolean {
  return query.every((part) => text.set.has(part));
}

/**
 * Whether every word of the query starts a word of the text (`light` finds `PyTorch Lightning`), for a
 * query that matched nothing whole. Query words shorter than three letters must match a whole word.
 */
function wordStarts(text: Words, query: readonly string[]): boolean {
  return query.every((part) => text.list.some((word) => (part.length < 3 ? word === part : word.startsWith(part))));
}

/**
 * The resources matching a topic, best first: a tag or id that is the query (spelled with or without
 * spaces and punctuation, or as initials: `w&b` finds `Weights & Biases`), then tags and titles that
 * hold the query's words as whole words, then the resources of sessions whose topic does (or, when
 * nothing else matched, whose frameworks do). Only when nothing matches so does a query word also
 * match the start of a longer word (`hydr`).
 */
export function matchResources(course: Course, topic: string): Resource[] {
  let answers = matchesByCourse.get(course);
  if (!answers) matchesByCourse.set(course, (answers = new Map<string, Resource[]>()));
  const known = answers.get(topic);
  if (known) return [...known];
  const found = findResources(course, topic);
  // The oldest query is let go past the bound: what students ask is a few topics, over and over.
  if (answers.size >= REMEMBERED_QUERIES) answers.delete(answers.keys().next().value!);
  answers.set(topic, found);
  return [...found];
}

/** How many `/resources` queries are remembered per course. */
const REMEMBERED_QUERIES = 256;
const matchesByCourse = new WeakMap<Course, Map<string, Resource[]>>();

function findResources(course: Course, topic: string): Resource[] {
  // "and" joins words (`weights and biases`, `w&b`) but finds nothing on its own.
  const parts = words(topic).filter((part) => part !== 'and');
  if (parts.length === 0) return [];
  const found = rankResources(course, topic, parts, wholeWords);
  return found.length > 0 ? found : rankResources(course, topic, parts, wordStarts);
}

function rankResources(
  course: Course,
  topic: string,
  parts: readonly string[],
  matches: (text: Words, query: readonly string[]) => boolean,
): Resource[] {
  const known = wordsOf(course);
  const wanted = words(topic).join('');
  const score = new Map<Resource, number>();
  const raise = (resource: Resource, value: number) => score.set(resource, Math.max(score.get(resource) ?? 0, value));
  for (const resource of course.resources) {
    if ([...resource.tags, resource.id].some((tag) => sameName(known(tag), wanted))) raise(resource, 4);
    else if (resource.tags.some((tag) => matches(known(tag), parts))) raise(resource, 3);
    else if (matches(known(resource.title), parts)) raise(resource, 2);
  }
  const { sessions, lowered, topics, frameworks } = sessionWords(course);
  for (let index = 0; index < sessions.length; index += 1) {
    const text = lowered[index];
    // Every word of the query is in a matching topic's text: only topics that hold them all are read into words.
    if (text === undefined || !parts.every((part) => text.includes(part))) continue;
    const words = (topics[index] ??= topicWords(sessions[index]!.topic!));
    if (matches(words, parts)) for (const resource of sessionResources(course, sessions[index]!)) raise(resource, 1);
  }
  // A framework's own resources are found by their tags; the resources of the sessions that use it
  // (its siblings' docs too) only when nothing names it. Each framework name is matched once, not once a session.
  if (score.size === 0) {
    const matched = new Set([...frameworks].filter((framework) => matches(known(framework), parts) || sameName(known(framework), wanted)));
    if (matched.size > 0) {
      for (const session of sessions) {
        if (session.frameworks.some((framework) => matched.has(framework))) for (const resource of sessionResources(course, session)) raise(resource, 1);
      }
    }
  }
  const { order } = resourceIndex(course);
  return [...score.entries()].sort((a, b) => b[1] - a[1] || order.get(a[0])! - order.get(b[0])!).map(([resource]) => resource);
}

export const resourcesCommand = defineCommand({
  name: 'resources',
  description: 'Reading and documentation links, all or for one topic or framework',
  audience: 'everyone',
  readOnly: true,
  options: [
    {
      name: 'topic',
      type: 'string',
      description: 'A topic or framework, such as hydra',
      suggest: ({ course }, typed) => suggestTopics(course, typed).map((topic) => ({ name: topic, value: topic })),
    },
  ],
  run({ course }, { topic }) {
    if (topic === undefined || normalize(topic) === '') {
      return message({
        title: `${course.name}: resources`,
        description: course.resources.length
          ? `${course.resources.length} links. Narrow them down with /resources <topic>.`
          : 'The course file lists no resources.',
        links: course.resources.map(resourceLink),
        footer: course.name,
      });
    }
    const found = matchResources(course, topic);
    if (found.length === 0) {
      const topics = knownTopics(course);
      return message({
        title: `No resources for ${quoted(topic, 80)}`,
        description: topics.length ? `Known topics: ${topics.join(', ')}` : 'The course file lists no resources.',
        footer: course.name,
      });
    }
    return message({
      title: `Resources for ${quoted(topic, 80)}`,
      links: found.map(resourceLink),
      footer: course.name,
    });
  },
});
