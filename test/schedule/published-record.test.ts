import { describe, expect, it } from 'vitest';
import { scheduleDigest } from '../../src/core/course/changes.js';
import { type PublishedRecord, recordJson } from '../../src/schedule/publisher.js';
import { buildCourse, courseDoc } from '../support/course.js';

describe('recordJson (the stored published schedule, written at every change)', () => {
  it('is JSON.stringify of the record, with and without a pending notice, from digests built and read back', () => {
    const digest = scheduleDigest(buildCourse(courseDoc()));
    const readBack = JSON.parse(JSON.stringify(digest)) as PublishedRecord['digest'];
    const records: PublishedRecord[] = [
      { rev: 0, digest },
      { rev: 7, digest: readBack },
      { rev: 8, digest, pending: { name: 'r8', date: '2027-01-05', from: readBack } },
      { rev: 9, digest: {}, pending: { name: 'r"9\\', date: '2027-01-05', from: {} } },
    ];
    for (const record of records) expect(recordJson(record)).toBe(JSON.stringify(record));
  });
});
