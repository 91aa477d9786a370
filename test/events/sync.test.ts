import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import type { Course } from '../../src/core/course/model.js';
import type { EventSpec, RemoteEvent } from '../../src/events/plan.js';
import { EVENTS_DENIED_TEXT, type EventPort, EventSync, EventsDenied } from '../../src/events/sync.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { at, buildCourse, courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

/** A server's events in memory; `creator` of each, `denied` refuses every write. */
class MemoryPort implements EventPort {
  readonly scope = 'discord:1';
  readonly events = new Map<string, RemoteEvent & { creator: string; cancelled?: boolean }>();
  readonly calls: string[] = [];
  denied = false;
  /** Runs inside `create`, before the event exists (another instance racing). */
  beforeCreate: (() => Promise<void>) | undefined;
  /** The next call of this kind fails: before it takes effect, or after (the answer lost). */
  fault: { call: 'list' | 'create' | 'edit' | 'cancel'; when: 'before' | 'after' | 'denied' } | undefined;

  #fail(call: 'list' | 'create' | 'edit' | 'cancel', when: 'before' | 'after'): void {
    const fault = this.fault;
    if (fault?.call !== call || (fault.when === 'after') !== (when === 'after')) return;
    this.fault = undefined;
    throw fault.when === 'denied' ? new EventsDenied('403') : new Error(`${call}: other side closed`);
  }
  #next = 1000;

  async list(): Promise<RemoteEvent[]> {
    await Promise.resolve();
    this.calls.push('list');
    this.#fail('list', 'before');
    return [...this.events.values()].filter((event) => !event.cancelled).map(({ creator, cancelled: _c, ...event }) => ({ ...event, mine: creator === 'bot' }));
  }

  async create(spec: EventSpec): Promise<string> {
    this.calls.push(`create ${spec.date}`);
    if (this.denied) throw new EventsDenied('403 Missing Permissions');
    await this.beforeCreate?.();
    this.#fail('create', 'before');
    const id = String((this.#next += 1));
    this.events.set(id, { ...spec, id, status: 'scheduled', mine: true, creator: 'bot' });
    this.#fail('create', 'after');
    return id;
  }

  async edit(id: string, spec: EventSpec): Promise<void> {
    await Promise.resolve();
    this.calls.push(`edit ${id} ${spec.date}`);
    if (this.denied) throw new EventsDenied('403 Missing Permissions');
    this.#fail('edit', 'before');
    this.events.set(id, { ...this.events.get(id)!, ...spec });
    this.#fail('edit', 'after');
  }

  async cancel(id: string): Promise<void> {
    await Promise.resolve();
    this.calls.push(`cancel ${id}`);
    this.#fail('cancel', 'before');
    this.events.set(id, { ...this.events.get(id)!, cancelled: true });
    this.#fail('cancel', 'after');
  }

  live(): string[] {
    return [...this.events.values()].filter((event) => !event.cancelled).map((event) => `${event.name} ${new Date(event.start).toISOString()}`);
  }
}

function setup(options: { store?: MemoryStore; port?: MemoryPort; course?: () => Course; owner?: string; clock?: { now: () => Date } } = {}) {
  const course = buildCourse();
  const store = options.store ?? new MemoryStore();
  const port = options.port ?? new MemoryPort();
  const told: string[] = [];
  const { logger, lines } = captureLogger();
  const sync = new EventSync({
    port,
    store,
    course: options.course ?? (() => course),
    clock: options.clock ?? fixedClock(at(course, '2027-01-04T08:00')),
    leaseMs: 60_000,
    days: 14,
    owner: options.owner ?? 'a',
    logger,
    tell: (text) => told.push(text),
  });
  return { sync, store, port, told, lines, course };
}

const EXPECTED = ['Week 1 · Intro 2027-01-04T08:00:00.000Z', 'Week 1 · Configs 2027-01-06T08:00:00.000Z', 'Week 1 · Project 2027-01-08T08:00:00.000Z', 'Week 2 · Deployment 2027-01-12T08:00:00.000Z'];

describe('EventSync', () => {
  it('creates each event once, records its id, and does nothing on the next pass', async () => {
    const { sync, store, port } = setup();
    expect((await sync.sync()).created).toEqual(['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12']);
    expect(port.live()).toEqual(EXPECTED);
    expect(JSON.parse(store.getValue('events:discord:1:demo:2027-01-04')!)).toEqual({ id: '1001' });
    port.calls.length = 0;
    const again = await sync.sync();
    expect(again.created).toEqual([]);
    expect(port.calls).toEqual(['list']);
  });

  it('adopts its own events after the database is lost, creating none', async () => {
    const first = setup();
    await first.sync.sync();
    const second = setup({ port: first.port });
    first.port.calls.length = 0;
    const report = await second.sync.sync();
    expect(report.adopted).toEqual(['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12']);
    expect(first.port.calls).toEqual(['list']);
    expect(JSON.parse(second.store.getValue('events:discord:1:demo:2027-01-12')!)).toEqual({ id: '1004' });
  });

  it("never touches an event it did not create, even one that copies its marker", async () => {
    const port = new MemoryPort();
    const { sync } = setup({ port });
    await sync.sync();
    const copy = { ...port.events.get('1002')!, id: '555', creator: 'someone', name: 'Party' };
    port.events.set('555', copy);
    const cancelled = buildCourse(courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' }, { day: 'wednesday', topic: 'Configs', cancelled: true }, { day: 'friday', format: 'project' }] }, courseDoc().weeks[1]!] }));
    const { sync: later, store } = setup({ port, course: () => cancelled });
    // Same port, fresh store: adopts, then cancels its own Wednesday event only.
    void store;
    port.calls.length = 0;
    const report = await later.sync();
    expect(report.cancelled).toEqual(['2027-01-06']);
    expect(port.calls).toEqual(['list', 'cancel 1002']);
    expect(port.events.get('555')?.cancelled).toBeUndefined();
  });

  it('two instances sharing a store create each event once', async () => {
    const store = new MemoryStore();
    const port = new MemoryPort();
    const a = setup({ store, port, owner: 'a' });
    const b = setup({ store, port, owner: 'b' });
    const [ra, rb] = await Promise.all([a.sync.sync(), b.sync.sync()]);
    expect(port.live()).toEqual(EXPECTED);
    expect([...ra.created, ...rb.created].sort()).toEqual(['2027-01-04', '2027-01-06', '2027-01-08', '2027-01-12']);
    await Promise.all([a.sync.sync(), b.sync.sync()]);
    expect(port.live()).toEqual(EXPECTED);
  });

  it('a claim left by an instance that died mid-create finds the event by its marker', async () => {
    const store = new MemoryStore();
    const port = new MemoryPort();
    // The dead instance created the event but never recorded it; its lease has run out.
    port.events.set('777', { ...(await (async () => {
      const probe = setup();
      await probe.sync.sync();
      return probe.port.events.get('1001')!;
    })()), id: '777' });
    store.setValue('events:discord:1:demo:2027-01-04', JSON.stringify({ creating: 'dead', until: 0 }));
    const { sync } = setup({ store, port });
    const report = await sync.sync();
    expect(report.created).toEqual(['2027-01-06', '2027-01-08', '2027-01-12']);
    expect(report.adopted).toEqual(['2027-01-04']);
    expect(port.live().filter((line) => line.startsWith('Week 1 · Intro'))).toHaveLength(1);
  });

  it('does not create while another live instance holds the claim', async () => {
    const store = new MemoryStore();
    store.setValue('events:discord:1:demo:2027-01-04', JSON.stringify({ creating: 'other', until: Number.MAX_SAFE_INTEGER }));
    const { sync, port } = setup({ store });
    const report = await sync.sync();
    expect(report.busy).toEqual(['2027-01-04']);
    expect(port.calls).not.toContain('create 2027-01-04');
  });

  it('an id recorded by another instance after this pass listed is not created again', async () => {
    const store = new MemoryStore();
    const port = new MemoryPort();
    const a = setup({ store, port, owner: 'a' });
    await a.sync.sync();
    // Wednesday's event and record vanish from this pass's view only: the port lists it on the second look.
    const wednesday = port.events.get('1002')!;
    port.events.delete('1002');
    const b = setup({ store, port, owner: 'b' });
    const list = port.list.bind(port);
    let first = true;
    port.list = async () => {
      const events = await list();
      if (first) {
        first = false;
        port.events.set('1002', wednesday);
      }
      return events;
    };
    port.calls.length = 0;
    await b.sync.sync();
    expect(port.calls).toEqual(['list', 'list']);
  });

  it('a 403 tells the instructors once with the fix, and the next good pass clears it', async () => {
    const port = new MemoryPort();
    port.denied = true;
    const { sync, told, store } = setup({ port });
    expect((await sync.sync()).denied).toBe(true);
    expect((await sync.sync()).denied).toBe(true);
    expect(told).toEqual([EVENTS_DENIED_TEXT]);
    expect(told[0]).toContain('Manage Events');
    expect(store.listKeys('events:discord:1:demo:')).toEqual([]);
    port.denied = false;
    expect((await sync.sync()).created).toHaveLength(4);
    port.denied = true;
    // A new incident is told again.
    const removed = buildCourse(courseDoc({ weeks: [courseDoc().weeks[0]!, { number: 2, sessions: [{ day: 'tuesday', topic: 'Renamed' }] }] }));
    const second = setup({ port, store, course: () => removed });
    await second.sync.sync();
    expect(second.told).toEqual([EVENTS_DENIED_TEXT]);
  });

  it('one event refused does not hold up the others', async () => {
    const port = new MemoryPort();
    port.fault = { call: 'create', when: 'before' };
    const { sync, lines } = setup({ port });
    const report = await sync.sync();
    expect(report.failed).toEqual(['2027-01-04']);
    expect(report.created).toEqual(['2027-01-06', '2027-01-08', '2027-01-12']);
    expect(lines.join('\n')).toContain('could not update a scheduled event');
  });

  it('a first sync of 90 daily sessions sends one request at a time, and stays under 100 beside others', async () => {
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
    const daily = buildCourse(
      courseDoc({ weeks: Array.from({ length: 14 }, (_, index) => ({ number: index + 1, sessions: days.map((day) => ({ day, topic: `Day ${day} ${index + 1}` })) })) }),
    );
    const port = new MemoryPort();
    for (let index = 0; index < 15; index += 1) {
      port.events.set(`other${index}`, { id: `other${index}`, name: 'Other', description: '', location: 'x', start: 0, status: 'scheduled', mine: false, creator: 'someone' });
    }
    let inFlight = 0;
    let most = 0;
    const create = port.create.bind(port);
    port.create = async (spec) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      const id = await create(spec);
      inFlight -= 1;
      return id;
    };
    const store = new MemoryStore();
    const { logger, lines } = captureLogger();
    const sync = new EventSync({ port, store, course: () => daily, clock: fixedClock(at(daily, '2027-01-04T08:00')), days: 90, owner: 'a', logger, tell: () => undefined });
    const report = await sync.sync();
    expect(most).toBe(1);
    expect(report.created).toHaveLength(85);
    expect(report.full).toHaveLength(5);
    expect(port.live()).toHaveLength(100);
    expect(lines.join('\n')).toContain('the server has 100 scheduled events');
  });

  it('logs and survives any other failure', async () => {
    const port = new MemoryPort();
    port.list = () => Promise.reject(new Error('socket hang up'));
    const { sync, lines } = setup({ port });
    expect((await sync.sync()).created).toEqual([]);
    expect(lines.join('\n')).toContain('could not sync scheduled events');
  });
});

describe('EventSync under faults: every session has exactly one event in the end', () => {
  const changed = buildCourse(
    courseDoc({
      weeks: [
        { number: 1, sessions: [{ day: 'monday', topic: 'Intro v2' }, { day: 'wednesday', topic: 'Configs', cancelled: true }, { day: 'friday', format: 'project' }] },
        courseDoc().weeks[1]!,
      ],
    }),
  );
  const faults = [
    { call: 'create', when: 'after' },
    { call: 'create', when: 'before' },
    { call: 'create', when: 'denied' },
    { call: 'list', when: 'before' },
    { call: 'edit', when: 'before' },
    { call: 'edit', when: 'after' },
    { call: 'cancel', when: 'before' },
    { call: 'cancel', when: 'after' },
  ] as const;

  it.each(faults)('$call fails $when: converges without a duplicate, with one or two instances', async (fault) => {
    for (const instances of [1, 2]) {
      const store = new MemoryStore();
      const port = new MemoryPort();
      let now = at(changed, '2027-01-04T07:00').getTime();
      const clock = { now: () => new Date(now) };
      let course = buildCourse();
      const syncs = Array.from({ length: instances }, (_, index) => setup({ store, port, clock, course: () => course, owner: `i${index}` }).sync);
      const pass = () => Promise.all(syncs.map((sync) => sync.sync()));
      if (fault.call === 'create' || fault.call === 'list') port.fault = fault;
      await pass();
      course = changed;
      if (fault.call === 'edit' || fault.call === 'cancel') port.fault = fault;
      await pass();
      // A claim cut short keeps others away until its lease ends; then the next pass settles it.
      now += 61_000;
      await pass();
      await pass();
      const live = port.live().sort();
      expect(live, `${instances} instance(s)`).toEqual([
        'Week 1 · Intro v2 2027-01-04T08:00:00.000Z',
        'Week 1 · Project 2027-01-08T08:00:00.000Z',
        'Week 2 · Deployment 2027-01-12T08:00:00.000Z',
      ]);
      expect(port.events.size - [...port.events.values()].filter((event) => event.cancelled).length).toBe(3);
    }
  });
});
