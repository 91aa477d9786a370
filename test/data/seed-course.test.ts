import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCourseFile } from '../../src/course-file/read.js';
import { sessionResources } from '../../src/core/views.js';

const { course } = loadCourseFile('data/course.yaml');

describe('data/course.yaml (the seed course)', () => {
  it('is the three-week MLOps course from 2027-01-04 in Copenhagen, posting at 08:00', () => {
    expect(course).toMatchObject({
      id: 'mlops',
      name: 'Machine Learning Operations',
      timezone: 'Europe/Copenhagen',
      start: '2027-01-04',
      announcements: { time: '08:00' },
    });
    expect(course.weeks.map((week) => week.number)).toEqual([1, 2, 3]);
  });

  it('has all 15 weekdays of the three weeks', () => {
    expect(course.sessions).toHaveLength(15);
    expect(course.sessions.map((session) => session.weekday)).toEqual(
      Array.from({ length: 3 }, () => ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']).flat(),
    );
    expect(course.sessions[0]!.date).toBe('2027-01-04');
    expect(course.sessions[14]!.date).toBe('2027-01-22');
  });

  it('carries the seed topics with the obvious typos fixed', () => {
    const topics = course.sessions.map((session) => session.topic).filter(Boolean);
    expect(topics).toEqual([
      'How autodiff changed the world',
      'Code organisation: why it matters',
      'Debugging and visualization',
      'Project overview: PyTorch ecosystem',
      'Training in the sky',
      'Distributed training: an overview',
      'Reproducibility: configuration files',
      'Cross validation and hyperparameters',
      'Computing on data you do not own',
      'Deployment',
    ]);
    expect(course.sessions[5]!.frameworks).toEqual(['AWS', 'Azure', 'Google Cloud']);
    expect(course.sessions[12]!.frameworks).toEqual(['TorchServe', 'BentoML']);
  });

  it('links official documentation for every framework named', () => {
    for (const session of course.sessions) {
      const links = sessionResources(course, session);
      for (const framework of session.frameworks) {
        const match = links.find((resource) => resource.tags.some((tag) => tag.toLowerCase() === framework.toLowerCase()));
        expect(match, `${session.date} ${framework}`).toBeDefined();
      }
    }
  });

  it('keeps the two reading resources and the setup step', () => {
    const reading = course.resources.filter((resource) => resource.tags.includes('reading')).map((resource) => resource.url);
    expect(reading).toEqual([
      'https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning',
      'https://towardsdatascience.com/ml-ops-machine-learning-as-an-engineering-discipline-b86ca4874a3f',
    ]);
    expect(course.setup[0]?.command).toBe('git clone https://github.com/SkafteNicki/02457_mlops');
  });

  it('has no typo of the seed left', () => {
    const text = readFileSync('data/course.yaml', 'utf8');
    for (const typo of ['azura', 'Conputing', 'a overview', 'reposatory', 'apon', 'conftable', 'extentions']) {
      expect(text).not.toContain(typo);
    }
  });
});
