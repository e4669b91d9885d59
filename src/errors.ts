/**
 * An error caused by the user's input (a bad file, a bad flag, a bad objective).
 * The CLI prints its message as one line and exits with `exitCode`; no stack trace.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}
