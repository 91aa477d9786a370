import { describe, expect, it } from 'vitest';
import { message } from '../../../src/core/messages.js';
import { LIMITS, cut, renderMessage, renderText } from '../../../src/platforms/discord/render.js';
import { answerNow, buildCourse, contextAt, courseDoc } from '../../support/course.js';

function embedTotal(embed: ReturnType<typeof renderMessage>['embeds'][number]): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

describe('Discord rendering', () => {
  const course = buildCourse();

  it('turns a day card into an embed with a Discord timestamp and link buttons, pinging nobody', () => {
    const payload = renderMessage(answerNow('/today', contextAt(course, '2027-01-04T10:00')));
    const unix = Date.parse('2027-01-04T08:00:00Z') / 1000;
    expect(payload.embeds[0]).toMatchObject({
      title: 'Week 1 · Monday 4 January 2027',
      description: 'Intro',
      fields: [
        { name: 'Lecture starts', value: `<t:${unix}:t> (<t:${unix}:R>)`, inline: false },
        { name: 'Frameworks', value: 'PyTorch', inline: true },
        { name: 'Format', value: 'Exercises', inline: true },
      ],
      footer: { text: 'Demo Course' },
    });
    expect(payload.components).toEqual([
      { type: 1, components: [{ type: 2, style: 5, label: 'PyTorch docs', url: 'https://pytorch.org/docs/' }] },
    ]);
    expect(payload.allowedMentions).toEqual({ parse: [] });
    expect(payload.content).toBeUndefined();
  });

  it('puts more than five links in markdown link fields instead of buttons', () => {
    const links = Array.from({ length: 7 }, (_, index) => ({ label: `Doc [${index}]`, url: `https://example.org/${index}` }));
    const payload = renderMessage(message({ title: 'Many', links }));
    expect(payload.components).toEqual([]);
    expect(payload.embeds[0]?.fields).toEqual([
      { name: 'Links', value: links.map((_, index) => `[Doc ${index}](https://example.org/${index})`).join('\n'), inline: false },
    ]);
  });

  it('cuts long text cleanly and keeps every limit', () => {
    const huge = 'word '.repeat(3000);
    const payload = renderMessage(
      message({
        title: huge,
        description: huge,
        sections: Array.from({ length: 40 }, (_, index) => ({ heading: `S${index} ${huge}`, lines: [huge, huge] })),
        footer: huge,
      }),
    );
    const embed = payload.embeds[0]!;
    expect(embed.title!.length).toBeLessThanOrEqual(LIMITS.title);
    expect(embed.title!.endsWith('…')).toBe(true);
    expect(embed.description!.length).toBeLessThanOrEqual(LIMITS.description);
    expect(embed.fields!.length).toBeLessThanOrEqual(LIMITS.fields);
    for (const field of embed.fields!) {
      expect(field.name.length).toBeLessThanOrEqual(LIMITS.fieldName);
      expect(field.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
    expect(embedTotal(embed)).toBeLessThanOrEqual(LIMITS.embedTotal);
    expect(embed.fields!.at(-1)?.value).toMatch(/^\d+ more not shown$/);
  });

  it('keeps at most 25 fields when many short sections fit in the characters, the last saying how many more', () => {
    const sections = (count: number) => Array.from({ length: count }, (_, index) => ({ heading: `S${index}`, lines: [`v${index}`] }));
    const many = renderMessage(message({ title: 'Many', sections: sections(40) })).embeds[0]!;
    expect(many.fields).toHaveLength(LIMITS.fields);
    expect(many.fields!.slice(0, 24).map((field) => field.name)).toEqual(sections(24).map((section) => section.heading));
    expect(many.fields!.at(-1)).toEqual({ name: '…', value: '16 more not shown', inline: false });
    const exactly = renderMessage(message({ title: 'Exactly', sections: sections(25) })).embeds[0]!;
    expect(exactly.fields!.map((field) => field.name)).toEqual(sections(25).map((section) => section.heading));
    const oneOver = renderMessage(message({ title: 'One over', sections: sections(26) })).embeds[0]!;
    expect(oneOver.fields).toHaveLength(LIMITS.fields);
    expect(oneOver.fields!.at(-1)?.value).toBe('2 more not shown');
    // The lecture time is a field too.
    const timed = renderMessage(
      message({ title: 'Timed', sections: sections(25), time: { label: 'Lecture starts', at: '2027-01-04T08:00:00Z', local: '09:00' } }),
    ).embeds[0]!;
    expect(timed.fields).toHaveLength(LIMITS.fields);
    expect(timed.fields![0]!.name).toBe('Lecture starts');
    expect(timed.fields!.at(-1)?.value).toBe('2 more not shown');
  });

  it('renders the whole seed schedule within the limits', () => {
    const schedule = renderMessage(answerNow('/schedule', contextAt(course, '2027-01-04T10:00')));
    expect(embedTotal(schedule.embeds[0]!)).toBeLessThanOrEqual(LIMITS.embedTotal);
  });

  it('never lets text from the course file ping anyone; only the configured role may be', () => {
    const noisy = buildCourse(
      courseDoc({
        weeks: [{ number: 1, sessions: [{ day: 'monday', topic: '@everyone <@&123456789012345678> look', note: '@here' }] }],
      }),
    );
    const payload = renderMessage(answerNow('/today', contextAt(noisy, '2027-01-04T10:00')));
    expect(payload.embeds[0]?.description).toContain('@everyone');
    expect(payload.allowedMentions).toEqual({ parse: [] });
    const announced = renderMessage(message({ title: 'x' }), { content: '<@&42>', mentionRole: '42' });
    expect(announced.allowedMentions).toEqual({ parse: [], roles: ['42'] });
    expect(renderText('@everyone').allowedMentions).toEqual({ parse: [] });
  });

  it('cuts at a word boundary when one is near', () => {
    expect(cut('short', 10)).toBe('short');
    expect(cut('one two three four', 15)).toBe('one two three…');
    expect(cut('one two three four', 12)).toBe('one two thr…');
    expect(cut('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
    // Never half an emoji.
    const emoji = cut('😀'.repeat(200), 256);
    expect(emoji.length).toBeLessThanOrEqual(256);
    expect(emoji).toBe(`${'😀'.repeat(127)}…`);
  });
});
