import type { APIInteractionResponse } from 'discord-api-types/v10';
import { InteractionResponseType } from 'discord-api-types/v10';
import type { FakeDiscord, InteractResult } from '../fakes/discord/index.js';

/** The `data` of an interaction callback (absent on some callback types). */
export function dataOf(callback: APIInteractionResponse): unknown {
  return 'data' in callback ? callback.data : undefined;
}

/**
 * What the asker finally sees: the callback's message, or, for a deferred reply (instructor commands and slow
 * ones acknowledge first), the original response once the bot has edited it. `deferred` says which.
 */
export async function answerOf(fake: FakeDiscord, result: InteractResult): Promise<{ deferred: boolean; data: Record<string, unknown> }> {
  if (result.callback.type !== InteractionResponseType.DeferredChannelMessageWithSource) {
    return { deferred: false, data: (dataOf(result.callback) ?? {}) as Record<string, unknown> };
  }
  const message = await fake.waitForOriginal(result.interaction.id);
  return { deferred: true, data: message as unknown as Record<string, unknown> };
}
