import { describe, expect, it } from 'vitest';
import { message } from '../../src/core/messages.js';

describe('message', () => {
  it('renders a plain-text fallback in section order, with links and footer', () => {
    const built = message({
      title: 'Title',
      description: 'About',
      time: { label: 'Starts', at: '2027-01-04T09:00:00.000+01:00', local: '09:00' },
      sections: [
        { heading: 'A', lines: ['one'] },
        { heading: 'B', lines: ['two', 'three'] },
        { heading: 'C', lines: ['four'] },
      ],
      links: [
        { label: 'Docs', url: 'https://example.org/', description: 'Read me' },
        { label: 'Same docs', url: 'https://example.org/' },
      ],
      footer: 'Course',
    });
    expect(built.links).toEqual([{ label: 'Docs', url: 'https://example.org/', description: 'Read me' }]);
    expect(built.text).toBe(
      [
        'Title\nAbout',
        'Starts: 09:00\nA: one',
        'B:\n  two\n  three',
        'C: four',
        'Links:\n  Docs: https://example.org/\n    Read me',
        '— Course',
      ].join('\n\n'),
    );
  });

  it('needs only a title', () => {
    expect(message({ title: 'Only' })).toEqual({ title: 'Only', sections: [], links: [], text: 'Only' });
  });
});
