/** Codes of errors a user caused or can fix; shown to them, never logged as failures. */
export type UserErrorCode =
  | 'unknown-command'
  | 'bad-option'
  | 'unknown-week'
  | 'forbidden'
  | 'unavailable';

/**
 * An error the user caused or can fix. Platforms show its message (ephemerally where they can);
 * anything else that is thrown is a bug, logged with a reference id.
 */
export class UserFacingError extends Error {
  override readonly name = 'UserFacingError';

  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isUserFacingError(error: unknown): error is UserFacingError {
  return error instanceof UserFacingError;
}
