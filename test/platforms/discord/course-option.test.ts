import { ApplicationCommandOptionType as T, InteractionResponseType, MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import type { CommandRequest, ScopeResolver } from '../../../src/core/commands/invoke.js';
import { commands } from '../../../src/core/commands/registry.js';
import type { Course } from '../../../src/core/course/model.js';
import type { ScheduleAdmin } from '../../../src/core/ports.js';
import { type RoutedCourse, routeRequest } from '../../../src/core/routing.js';
import { DiscordBot, type DiscordBotOptions } from '../../../src/platforms/discord/bot.js';
import type { DispatchDeps } from '../../../src/platforms/discord/dispatch.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeDiscord, autocomplete, chatInput } from '../../fakes/discord/index.js';
import { at, buildCourse, courseDoc } from '../../support/course.js';
import { dataOf } from '../../support/discord.js';
import { captureLogger } from '../../support/log.js';

const MANAGE_GUILD = String(1n << 5n);

const demo = buildCourse();
const ds = buildCourse(
  courseDoc({
    course: { id: 'ds', name: 'Data Science', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' },
    resources: [
      { id: 'pandas', title: 'pandas docs', url: 'https://pandas.pydata.org/docs/', tags: ['pandas'] },
      { id: 'polars', title: 'Polars docs', url: 'https://docs.pola.rs/', tags: ['polars'] },
    ],
  }),
);
const byId = new Map<string, Course>([
  [demo.id, demo],
  [ds.id, ds],
]);

const history: ScheduleAdmin = {
  change: () => Promise.reject(new Error('not in this test')),
  undo: () => Promise.reject(new Error('not in this test')),
  history: () => [],
  reload: () => Promise.resolve({ ok: true, changed: false }),
  announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
};

describe('the course option on Discord (real discord.js, fake Discord, two courses in one server)', () => {
  let fake: FakeDiscord;
  let bot: DiscordBot;
  const seen: CommandRequest[] = [];
  let routed: RoutedCourse[] = [];

  beforeAll(async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    // Both courses in the fake's server, neither owning its channel: the course option decides.
    routed = [demo, ds].map((course) => ({ id: course.id, name: course.name, targets: { discord: { guildId: fake.guildId, channels: [] } } }));
    const scope: ScopeResolver = (request) => {
      seen.push(request);
      const route = routeRequest(routed, { ...request.place, platform: 'discord' }, request.course);
      if (!route.ok) return { choose: route.message };
      return { course: byId.get(route.course.id)!, admin: history, instructor: () => Boolean(request.asker.manageGuild) };
    };
    // The options W1's composition passes (the dispatcher's `scope` and `courses`) reach the dispatcher through the bot.
    const options: DiscordBotOptions & Pick<DispatchDeps, 'scope' | 'courses'> = {
      config: { token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral', guildId: fake.guildId },
      store: new MemoryStore(),
      logger: captureLogger('warn').logger,
      course: () => demo,
      commands,
      clock: fixedClock(at(demo, '2027-01-04T10:00')),
      scope,
      courses: () => routed,
    };
    bot = new DiscordBot(options);
    await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
  });

  const content = (callback: unknown) => dataOf(callback as never) as { flags?: number } | undefined;

  it('passes the option as the request’s course, never as an argument of the command', async () => {
    seen.length = 0;
    const { callback } = await fake.interact(
      chatInput('resources', [
        { name: 'topic', type: T.String, value: 'pandas' },
        { name: 'course', type: T.String, value: 'ds' },
      ]),
    );
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(JSON.stringify(dataOf(callback))).toContain('pandas docs');
    expect(JSON.stringify(dataOf(callback))).not.toContain('has no option');
    expect(seen.map((request) => request.course)).toEqual(['ds']);
  });

  it('takes it out of a subcommand’s options too (/course history course:ds)', async () => {
    seen.length = 0;
    const { callback } = await fake.interact({
      ...chatInput('course', [{ name: 'history', type: T.Subcommand, options: [{ name: 'course', type: T.String, value: 'ds' }] }]),
      actor: { permissions: MANAGE_GUILD },
    });
    expect(JSON.stringify(dataOf(callback))).not.toMatch(/has no option|garbled/);
    expect(seen.map((request) => request.course)).toEqual(['ds']);
  });

  it('without it where the place does not decide, answers the routing’s one line listing the courses, ephemerally', async () => {
    const { callback } = await fake.interact(chatInput('today'));
    const data = content(callback);
    expect(data?.flags ?? 0).toBe(MessageFlags.Ephemeral);
    const text = JSON.stringify(data);
    expect(text).toContain('course:demo');
    expect(text).toContain('ds — Data Science');
  });

  it('autocompletes the course option from the courses the dispatcher is given', async () => {
    const all = await fake.interact(autocomplete('today', [{ name: 'course', type: T.String, value: '', focused: true }]));
    expect(dataOf(all.callback)).toEqual({
      choices: [
        { name: 'Demo Course (demo)', value: 'demo' },
        { name: 'Data Science (ds)', value: 'ds' },
      ],
    });
    const typed = await fake.interact(
      autocomplete('course', [{ name: 'cancel', type: T.Subcommand, options: [{ name: 'course', type: T.String, value: 'data', focused: true }] }]),
    );
    expect(dataOf(typed.callback)).toEqual({ choices: [{ name: 'Data Science (ds)', value: 'ds' }] });
  });

  it('autocompletes other options from the course the request routes to, the course option included', async () => {
    const inDs = await fake.interact(
      autocomplete('resources', [
        { name: 'topic', type: T.String, value: 'p', focused: true },
        { name: 'course', type: T.String, value: 'ds' },
      ]),
    );
    expect(dataOf(inDs.callback)).toEqual({ choices: [{ name: 'pandas', value: 'pandas' }, { name: 'polars', value: 'polars' }] });
    const inDemo = await fake.interact(
      autocomplete('resources', [
        { name: 'topic', type: T.String, value: 'p', focused: true },
        { name: 'course', type: T.String, value: 'demo' },
      ]),
    );
    expect(dataOf(inDemo.callback)).toEqual({ choices: [{ name: 'pytorch', value: 'pytorch' }] });
    // No course and none decided by the place: nothing to suggest from.
    const nowhere = await fake.interact(autocomplete('resources', [{ name: 'topic', type: T.String, value: 'p', focused: true }]));
    expect(dataOf(nowhere.callback)).toEqual({ choices: [] });
  });

  it('is listed by /help with the courses', async () => {
    const { callback } = await fake.interact(chatInput('help', [{ name: 'course', type: T.String, value: 'demo' }]));
    const text = JSON.stringify(dataOf(callback));
    expect(text).toContain('Every command takes [course]');
    expect(text).toContain('ds — Data Science');
  });
});
