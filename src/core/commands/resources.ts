import type { Course, Resource } from '../course/model.js';
import { message } from '../messages.js';
import { normalize, resourceLink, sessionResources } from '../views.js';
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

/** Lowercase words of a text: letters and digits, so `Weights & Biases` is `weights`, `biases`. */
function words(text: string): string[] {
  return normalize(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * Whether every word of the query starts a word of the text (`light` finds `PyTorch Lightning`).
 * Query words shorter than three letters must match a whole word, so `ci` finds no `Discipline`.
 */
function wordsMatch(text: string, query: readonly string[]): boolean {
  const available = words(text);
  return query.every((part) =>
    available.some((word) => (part.length < 3 ? word === part : word.startsWith(part))),
  );
}

/**
 * The resources matching a topic, best first: an exact tag or id, then tags and titles whose words
 * start with the query's words, then the resources of sessions whose topic or frameworks match.
 */
export function matchResources(course: Course, topic: string): Resource[] {
  const query = normalize(topic);
  const parts = words(topic);
  if (parts.length === 0) return [];
  const score = new Map<Resource, number>();
  const raise = (resource: Resource, value: number) => score.set(resource, Math.max(score.get(resource) ?? 0, value));
  for (const resource of course.resources) {
    if (resource.tags.some((tag) => normalize(tag) === query) || resource.id === query) raise(resource, 4);
    else if (resource.tags.some((tag) => wordsMatch(tag, parts))) raise(resource, 3);
    else if (wordsMatch(resource.title, parts)) raise(resource, 2);
  }
  for (const session of course.sessions) {
    if ([session.topic ?? '', ...session.frameworks].some((text) => wordsMatch(text, parts))) {
      for (const resource of sessionResources(course, session)) raise(resource, 1);
    }
  }
  return [...score.entries()]
    .sort((a, b) => b[1] - a[1] || course.resources.indexOf(a[0]) - course.resources.indexOf(b[0]))
    .map(([resource]) => resource);
}

export const resourcesCommand = defineCommand({
  name: 'resources',
  description: 'Reading and documentation links, all or for one topic or framework',
  audience: 'everyone',
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
        title: `No resources for "${topic}"`,
        description: topics.length ? `Known topics: ${topics.join(', ')}` : 'The course file lists no resources.',
        footer: course.name,
      });
    }
    return message({
      title: `Resources for "${topic}"`,
      links: found.map(resourceLink),
      footer: course.name,
    });
  },
});
