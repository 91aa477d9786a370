import type { APIInteractionResponse } from 'discord-api-types/v10';

/** The `data` of an interaction callback (absent on some callback types). */
export function dataOf(callback: APIInteractionResponse): unknown {
  return 'data' in callback ? callback.data : undefined;
}
