import { afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from './index.js';

const CHANNEL = '1300000000000000001';

let fake: FakeDiscord | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("the fake's global rate limit", () => {
  it('counts requests as they arrive, in a second that starts with the first one after a quiet second; beyond it, 429 with global and the precise retry_after', async () => {
    let now = 1_000_000;
    fake = await FakeDiscord.start({ globalRateLimit: 3, now: () => now, guilds: [{ id: '1100000000000000001', channels: [CHANNEL] }] });
    const started = fake;
    const post = async () => {
      const response = await fetch(`${started.apiUrl}/v10/channels/${CHANNEL}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${started.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x' }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
    };
    // The window opens at the first arrival (t = 0) and holds 3.
    expect((await Promise.all([post(), post(), post()])).map((reply) => reply.status)).toEqual([200, 200, 200]);
    now += 400;
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'You are being rate limited.', retry_after: 0.6, global: true });
    // As Discord: the header is whole seconds (discord.js waits it out), the body the precise value.
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('global');
    // A second after the first arrival, a new window.
    now += 600;
    expect((await post()).status).toBe(200);
    expect(fake.globalRateLimit!.limited).toBe(1);
    expect(fake.messages(CHANNEL)).toHaveLength(4);
  });

  it('leaves interaction responses out (no bot token), as Discord does', async () => {
    fake = await FakeDiscord.start({ globalRateLimit: 1 });
    const started = fake;
    const get = () => fetch(`${started.apiUrl}/v10/users/@me`, { headers: { authorization: `Bot ${started.token}` } }).then((response) => response.status);
    expect(await get()).toBe(200);
    expect(await get()).toBe(429);
    // An interaction callback for an unknown interaction: answered by the route (404), not by the limit.
    const callback = await fetch(`${started.apiUrl}/v10/interactions/1200000000000000001/token/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 4, data: { content: 'x' } }),
    });
    expect(callback.status).not.toBe(429);
  });
});
