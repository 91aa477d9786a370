import { describe, expect, it } from 'vitest';
import { message } from '../../../src/core/messages.js';
import { commands } from '../../../src/core/commands/registry.js';
import { LIMITS, commandNamer, cut, escapeText, renderMessage, renderText } from '../../../src/platforms/slack/render.js';
import { SlackMessenger } from '../../../src/platforms/slack/messenger.js';
import type { webApi } from '@slack/bolt';
import { answerNow, buildCourse, contextAt, courseDoc } from '../../support/course.js';
import { parseContent } from '../../fakes/slack/validate.js';

type Payload = ReturnType<typeof renderMessage>;

interface TextObject {
  readonly type: string;
  readonly text: string;
  readonly verbatim?: boolean;
}

/** Every text object of the payload with the limit Slack sets for it where it sits. */
function texts(payload: Payload): { where: string; max: number; object: TextObject }[] {
  const found: { where: string; max: number; object: TextObject }[] = [];
  payload.blocks.forEach((block, index) => {
    const where = `${index}:${block.type}`;
    switch (block.type) {
      case 'header':
        found.push({ where, max: LIMITS.headerText, object: block.text });
        break;
      case 'section':
        if (block.text) found.push({ where, max: LIMITS.sectionText, object: block.text });
        for (const field of block.fields ?? []) found.push({ where, max: LIMITS.fieldText, object: field });
        break;
      case 'context':
        for (const element of block.elements) if ('text' in element) found.push({ where, max: LIMITS.contextText, object: element });
        break;
      case 'actions':
        for (const element of block.elements) if (element.type === 'button') found.push({ where, max: LIMITS.buttonText, object: element.text });
        break;
      default:
        throw new Error(`unexpected block ${block.type}`);
    }
  });
  return found;
}

/** Slack's limits, checked one by one, and then by the local fake's `chat.postMessage` validation. */
function expectWithinLimits(payload: Payload): void {
  expect(payload.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  expect(payload.text.length).toBeLessThanOrEqual(LIMITS.text);
  for (const { where, max, object } of texts(payload)) {
    expect(object.text.length, where).toBeGreaterThan(0);
    expect(object.text.length, where).toBeLessThanOrEqual(max);
    // No half entity and no lone surrogate anywhere.
    expect(object.text, where).not.toMatch(/&(?!amp;|lt;|gt;)/);
    expect(object.text, where).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  }
  for (const block of payload.blocks) {
    if (block.type === 'section') expect(block.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.sectionFields);
  }
  expect(() => parseContent({ text: payload.text, blocks: JSON.stringify(payload.blocks) })).not.toThrow();
}

/** Every control sequence in the payload's text: `<…>` links, mentions and dates. */
function controlSequences(payload: Payload): string[] {
  const all = [payload.text, ...texts(payload).map(({ object }) => object.text)].join('\n');
  return all.match(/<[^>]*>/g) ?? [];
}

describe('Slack rendering', () => {
  const course = buildCourse();

  it('turns a day card into a header, a Slack date, fields, link buttons and a footer with the marker', () => {
    const payload = renderMessage(answerNow('/today', contextAt(course, '2027-01-04T10:00')), { marker: 'demo:2027-01-04:daily' });
    const unix = Date.parse('2027-01-04T08:00:00Z') / 1000;
    const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
    expect(payload.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Week 1 · Monday 4 January 2027', emoji: true } },
      { type: 'section', text: mrkdwn('Intro') },
      {
        type: 'section',
        text: mrkdwn(`*Lecture starts*\n<!date^${unix}^{date_short_pretty} at {time}|09:00 (Europe/Copenhagen)>`),
      },
      { type: 'section', fields: [mrkdwn('*Frameworks*\nPyTorch'), mrkdwn('*Format*\nExercises')] },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'link-0', text: { type: 'plain_text', text: 'PyTorch docs', emoji: true }, url: 'https://pytorch.org/docs/' },
        ],
      },
      { type: 'context', elements: [mrkdwn('Demo Course · demo:2027-01-04:daily')] },
    ]);
    expect(payload.text).toMatch(/^Week 1 · Monday 4 January 2027\nIntro\n/);
    expectWithinLimits(payload);
  });

  it('escapes course text so no mention, channel link or broadcast in it ever works', () => {
    const noisy = buildCourse(
      courseDoc({
        weeks: [
          {
            number: 1,
            sessions: [{ day: 'monday', topic: '<!channel> Q&A <@U123>', frameworks: ['<!here>'], note: '<#C1> <!subteam^S1> @here' }],
          },
        ],
      }),
    );
    const payload = renderMessage(answerNow('/today', contextAt(noisy, '2027-01-04T10:00')));
    const description = payload.blocks[1];
    expect(description).toMatchObject({ type: 'section', text: { text: '&lt;!channel&gt; Q&amp;A &lt;@U123&gt;' } });
    expect(payload.text).toContain('&lt;!channel&gt; Q&amp;A &lt;@U123&gt;');
    expect(JSON.stringify(payload)).toContain('&lt;#C1&gt; &lt;!subteam^S1&gt; @here');
    // The only `<…>` left is the date token the renderer writes itself.
    expect(controlSequences(payload)).toEqual([expect.stringMatching(/^<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>]+>$/)]);
    // Verbatim: Slack does not parse `@here` or `#channel` in the text into mentions and links.
    for (const { object } of texts(payload)) if (object.type === 'mrkdwn') expect(object.verbatim).toBe(true);
    const error = renderText('Unknown command <!everyone> & co');
    expect(error.text).toBe('Unknown command &lt;!everyone&gt; &amp; co');
    expect(error.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'Unknown command &lt;!everyone&gt; &amp; co', verbatim: true } }]);
  });

  it('escapes &, < and > and nothing else', () => {
    expect(escapeText('a & b <!channel> > *bold* _it_ "q"')).toBe('a &amp; b &lt;!channel&gt; &gt; *bold* _it_ "q"');
    expect(escapeText('&amp;')).toBe('&amp;amp;');
  });

  it('links bare URLs in course text itself, since verbatim text is not auto-linked', () => {
    const payload = renderMessage(
      message({
        title: 'Setup',
        sections: [
          {
            heading: 'Steps',
            lines: ['git clone https://example.org/repo.git.', '(see https://example.org/a?x=1&y=<2>)', 'Wiki: https://en.wikipedia.org/wiki/A_(b), done'],
          },
        ],
      }),
    );
    expect(payload.blocks[1]).toMatchObject({
      text: {
        text: [
          '*Steps*',
          'git clone <https://example.org/repo.git>.',
          '(see <https://example.org/a?x=1&amp;y=>&lt;2&gt;)',
          'Wiki: <https://en.wikipedia.org/wiki/A_(b)>, done',
        ].join('\n'),
      },
    });
  });

  it('puts more than five links in a section of mrkdwn links, their labels escaped and targets intact', () => {
    const links = Array.from({ length: 6 }, (_, index) => ({
      label: `Doc <${index}> & more`,
      url: `https://example.org/${index}?a=1&b=x|y>z`,
      ...(index === 0 && { description: 'Read <!here> first' }),
    }));
    const payload = renderMessage(message({ title: 'Many', links }));
    expect(payload.blocks.some((block) => block.type === 'actions')).toBe(false);
    const lines = links.map(
      (_, index) => `• <https://example.org/${index}?a=1&amp;b=x%7Cy%3Ez|Doc &lt;${index}&gt; &amp; more>${index === 0 ? ' — Read &lt;!here&gt; first' : ''}`,
    );
    expect(payload.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: ['*Links*', ...lines].join('\n'), verbatim: true } });
    expectWithinLimits(payload);
  });

  it('uses url buttons for up to five links, labels cut to 75 characters', () => {
    const links = Array.from({ length: 5 }, (_, index) => ({ label: `${'Long label '.repeat(10)}${index}`, url: `https://example.org/${index}` }));
    const payload = renderMessage(message({ title: 'Five', links }));
    const actions = payload.blocks.find((block) => block.type === 'actions');
    expect(actions?.type === 'actions' && actions.elements.map((element) => element.type === 'button' && element.url)).toEqual(
      links.map((link) => link.url),
    );
    expectWithinLimits(payload);
    expect(texts(payload).filter(({ where }) => where.endsWith('actions')).every(({ object }) => object.text.endsWith('…'))).toBe(true);
  });

  it('cuts long text cleanly and keeps every limit, with a note for what does not fit', () => {
    const huge = 'word & <b> '.repeat(3000);
    const payload = renderMessage(
      message({
        title: huge,
        description: huge,
        time: { label: huge, at: '2027-01-04T09:00:00+01:00', local: huge },
        sections: [
          ...Array.from({ length: 30 }, (_, index) => ({ heading: `S${index} ${huge}`, lines: [huge, huge] })),
          ...Array.from({ length: 25 }, (_, index) => ({ heading: `Inline ${index}`, lines: ['x'], inline: true })),
        ],
        links: Array.from({ length: 200 }, (_, index) => ({ label: huge, url: `https://example.org/${index}`, description: huge })),
        footer: huge,
      }),
      { marker: 'mlops:2027-01-05:daily:slack:C1' },
    );
    expectWithinLimits(payload);
    expect(payload.blocks).toHaveLength(LIMITS.blocks);
    const [header] = texts(payload);
    expect(header?.object.text.endsWith('…')).toBe(true);
    expect(payload.blocks.at(-2)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(/^… \d+ more not shown$/) as unknown }] });
    const footer = payload.blocks.at(-1);
    expect(footer?.type === 'context' && 'text' in footer.elements[0]! && footer.elements[0].text).toMatch(/… · mlops:2027-01-05:daily:slack:C1$/);
    expect(payload.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });

  it('sets inline sections side by side, ten fields to a block at most', () => {
    const payload = renderMessage(
      message({ title: 'Facts', sections: Array.from({ length: 23 }, (_, index) => ({ heading: `F${index}`, lines: [`${index}`], inline: true })) }),
    );
    const counts = payload.blocks.filter((block) => block.type === 'section').map((block) => block.fields?.length);
    expect(counts).toEqual([10, 10, 3]);
    expectWithinLimits(payload);
  });

  it('renders the whole seed schedule and an over-long line within the limits', () => {
    expectWithinLimits(renderMessage(answerNow('/schedule', contextAt(course, '2027-01-04T10:00'))));
    const long = renderMessage(message({ title: 'Long', sections: [{ heading: 'One line', lines: ['&'.repeat(10_000)] }] }));
    expectWithinLimits(long);
    expect(long.blocks.filter((block) => block.type === 'section').length).toBe(1);
  });

  it('shows the course-zone text alone when the instant cannot be read', () => {
    const payload = renderMessage(message({ title: 'T', time: { label: 'Starts', at: 'not a date', local: 'Monday, 09:00' } }));
    expect(payload.blocks[1]).toMatchObject({ text: { text: '*Starts*\nMonday, 09:00' } });
  });

  it('cuts at a word boundary when one is near, never inside an emoji', () => {
    expect(cut('short', 10)).toBe('short');
    expect(cut('one two three four', 15)).toBe('one two three…');
    expect(cut('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
    const emoji = cut('😀'.repeat(200), 150);
    expect(emoji).toBe(`${'😀'.repeat(74)}…`);
    const header = renderMessage(message({ title: '😀'.repeat(200) })).blocks[0];
    expect(header).toMatchObject({ type: 'header', text: { text: `${'😀'.repeat(74)}…` } });
  });
});

describe('command names with SLACK_COMMAND_PREFIX', () => {
  const named = commandNamer(commands, 'mlops-');

  it('prefixes the bot’s own commands where they stand as words, and nothing else', () => {
    expect(named('Try /help; /week 2 or "/resources hydra" (/course undo).')).toBe(
      'Try /mlops-help; /mlops-week 2 or "/mlops-resources hydra" (/mlops-course undo).',
    );
    const untouched = 'https://example.com/week and docs/today, /weekly, /week-2, /weeks, /unknown, a/help';
    expect(named(untouched)).toBe(untouched);
    expect(commandNamer(commands, '')('/week')).toBe('/week');
  });

  it('reaches announcements: a post names /mlops-week', async () => {
    const announcement = message({ title: 'This week in Demo', sections: [{ heading: 'Monday', lines: ['Intro'] }], footer: 'Demo · /week shows the whole week' });
    const posted: { text?: string; blocks?: unknown }[] = [];
    const client = { chat: { postMessage: (body: { text?: string; blocks?: unknown }) => (posted.push(body), Promise.resolve({ ok: true, ts: '1.2' })) } };
    const messenger = new SlackMessenger({ client: client as unknown as webApi.WebClient, channel: 'C0ANNOUNCE', nameCommands: named });
    await messenger.post(announcement, { key: 'k', nonce: 'n' });
    expect(posted[0]!.text).toContain('/mlops-week');
    expect(posted[0]!.text).not.toMatch(/(^|\s)\/week/);
    expect(JSON.stringify(posted[0]!.blocks)).toContain('/mlops-week');
  });
});
