import { DiscordAPIError, REST, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from './index.js';

const GUILD = '1100000000000000001';
const HOUR = 3_600_000;

describe('fake Discord: guild scheduled events', () => {
  let fake: FakeDiscord;
  let rest: REST;
  const now = Date.parse('2027-01-04T08:00:00Z');
  const valid = (overrides: Record<string, unknown> = {}) => ({
    name: 'Week 1 · Intro',
    description: 'text',
    scheduled_start_time: new Date(now + HOUR).toISOString(),
    scheduled_end_time: new Date(now + 2 * HOUR).toISOString(),
    privacy_level: 2,
    entity_type: 3,
    entity_metadata: { location: 'Room 1' },
    ...overrides,
  });
  const refusal = async (request: Promise<unknown>) => {
    const error = await request.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DiscordAPIError);
    const { status, code, rawError } = error as DiscordAPIError;
    return { status, code, errors: (rawError as { errors?: unknown }).errors };
  };

  beforeEach(async () => {
    fake = await FakeDiscord.start({ guilds: [{ id: GUILD }], now: () => now });
    rest = new REST({ api: fake.apiUrl, retries: 0 }).setToken(fake.token);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates, lists, modifies, cancels and deletes, with the bot as creator', async () => {
    const created = (await rest.post(Routes.guildScheduledEvents(GUILD), { body: valid() })) as { id: string; creator_id: string; status: number };
    expect(created.creator_id).toBe(fake.botUserId);
    expect(created.status).toBe(1);
    const edited = (await rest.patch(Routes.guildScheduledEvent(GUILD, created.id), { body: { name: 'Renamed' } })) as { name: string };
    expect(edited.name).toBe('Renamed');
    expect(((await rest.get(Routes.guildScheduledEvents(GUILD))) as { name: string }[]).map((event) => event.name)).toEqual(['Renamed']);
    await rest.patch(Routes.guildScheduledEvent(GUILD, created.id), { body: { status: 4 } });
    expect(await rest.get(Routes.guildScheduledEvents(GUILD))).toEqual([]);
    expect(fake.scheduledEvents.all(GUILD).map((event) => event.status)).toEqual([4]);
    expect(await refusal(rest.patch(Routes.guildScheduledEvent(GUILD, created.id), { body: { status: 1 } }))).toMatchObject({ status: 400, code: 180000 });
    await rest.delete(Routes.guildScheduledEvent(GUILD, created.id));
    expect(await refusal(rest.get(Routes.guildScheduledEvent(GUILD, created.id)))).toMatchObject({ status: 404, code: 10070 });
  });

  it("refuses what Discord refuses: name, description, a past start, an end before it, no end or location", async () => {
    const create = (body: Record<string, unknown>) => refusal(rest.post(Routes.guildScheduledEvents(GUILD), { body }));
    expect(await create(valid({ name: '' }))).toMatchObject({ status: 400, code: 50035, errors: { name: expect.anything() as unknown } });
    expect(await create(valid({ name: 'n'.repeat(101) }))).toMatchObject({ code: 50035, errors: { name: expect.anything() as unknown } });
    expect(await create(valid({ description: 'd'.repeat(1001) }))).toMatchObject({ errors: { description: expect.anything() as unknown } });
    expect(await create(valid({ scheduled_start_time: new Date(now - 1).toISOString() }))).toMatchObject({
      errors: { scheduled_start_time: { _errors: [{ code: 'GUILD_SCHEDULED_EVENT_SCHEDULE_PAST' }] } },
    });
    expect(await create(valid({ scheduled_end_time: new Date(now).toISOString() }))).toMatchObject({ errors: { scheduled_end_time: expect.anything() as unknown } });
    expect(await create(valid({ scheduled_end_time: undefined, entity_metadata: undefined }))).toMatchObject({
      errors: { scheduled_end_time: expect.anything() as unknown, entity_metadata: { location: expect.anything() as unknown } },
    });
    expect(await create(valid({ entity_metadata: { location: 'l'.repeat(101) } }))).toMatchObject({ errors: { entity_metadata: expect.anything() as unknown } });
    expect(fake.scheduledEvents.all(GUILD)).toEqual([]);
  });

  it('allows 100 uncompleted events per guild, and refuses writes without Manage Events', async () => {
    for (let index = 0; index < 100; index += 1) fake.scheduledEvents.create(GUILD, valid(), '1200000000000000009');
    expect(await refusal(rest.post(Routes.guildScheduledEvents(GUILD), { body: valid() }))).toMatchObject({ status: 400, code: 30038 });
    fake.scheduledEvents.manageEvents = false;
    const [first] = fake.scheduledEvents.list(GUILD);
    expect(await refusal(rest.patch(Routes.guildScheduledEvent(GUILD, first!.id), { body: { status: 4 } }))).toMatchObject({ status: 403, code: 50013 });
    expect(await rest.get(Routes.guildScheduledEvents(GUILD))).toHaveLength(100);
  });
});
