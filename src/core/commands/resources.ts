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

/**
 * The resources matching a topic, best first: an exact tag, then a tag or title that contains the
 * query, then the resources of sessions whose topic or frameworks contain it.
 */
export function matchResources(course: Course, topic: string): Resource[] {
  const query = normalize(topic);
  if (!query) return [];
  const score = new Map<Resource, number>();
  const raise = (resource: Resource, value: number) => score.set(resource, Math.max(score.get(resource) ?? 0, value));
  for (const resource of course.resources) {
    const tags = resource.tags.map(normalize);
    if (tags.includes(query) || normalize(resource.id) === query) raise(resource, 4);
    else if (tags.some((tag) => tag.includes(query) || (tag.length >= 3 && query.includes(tag)))) raise(resource, 3);
    else if (normalize(resource.title).includes(query)) raise(resource, 2);
  }
  for (const session of course.sessions) {
    const about = [session.topic ?? '', ...session.frameworks].map(normalize);
    if (about.some((text) => text.includes(query))) {
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
