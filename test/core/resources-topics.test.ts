import { describe, expect, it } from 'vitest';
import { matchResources } from '../../src/core/commands/resources.js';
import { buildCourse, courseDoc } from '../support/course.js';

// `/resources <topic>` reads a session's topic into words only when its text holds every word of the query:
// what it finds must be what reading every topic finds (case, spacing, `&` and word starts included).
const course = buildCourse(
  courseDoc({
    weeks: [
      {
        number: 1,
        sessions: [
          { day: 'monday', topic: '  Tracking with   WEIGHTS & Biases ', frameworks: [], resources: ['bentoml'] },
          { day: 'tuesday', topic: 'Lightning fast training', frameworks: [], resources: ['pytorch'] },
          { day: 'wednesday', topic: 'Weightsharing', frameworks: [], resources: ['hydra'] },
          { day: 'thursday', frameworks: ['Hydra'] },
        ],
      },
    ],
  }),
);
const found = (topic: string) => matchResources(course, topic).map((resource) => resource.id);

describe("/resources <topic> over the sessions' topics", () => {
  it('finds a topic by its words whatever their case, spacing or joining "&"', () => {
    expect(found('weights and biases')).toEqual(['bentoml']);
    expect(found('Weights & Biases')).toEqual(['bentoml']);
    // A whole word: `weights` is not `Weightsharing`.
    expect(found('weights')).toEqual(['bentoml']);
  });

  it('finds the start of a word only when nothing matched whole, and a framework only when no topic did', () => {
    expect(found('light')).toEqual(['pytorch']);
    expect(found('weightsh')).toEqual(['hydra']);
    expect(found('zzz')).toEqual([]);
  });
});
