import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';

describe('Metrics: interactions dropped unanswered', () => {
  it('counts shed interactions by platform, and refused answers by platform and reason', async () => {
    const metrics = new Metrics();
    metrics.dropped('discord', 'shed');
    metrics.dropped('discord', 'shed');
    metrics.dropped('discord', 'expired');
    metrics.dropped('discord', 'acknowledged');
    metrics.command({ platform: 'discord', command: 'today', outcome: 'unanswered', seconds: 3.2 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('course_bot_interactions_shed_total{platform="discord"} 2');
    expect(text).toContain('course_bot_interaction_answers_refused_total{platform="discord",reason="expired"} 1');
    expect(text).toContain('course_bot_interaction_answers_refused_total{platform="discord",reason="acknowledged"} 1');
    expect(text).toContain('course_bot_commands_total{platform="discord",command="today",outcome="unanswered"} 1');
  });
});
