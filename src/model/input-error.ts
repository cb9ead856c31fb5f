// Bad input from the user (a malformed file, an out-of-range option). The CLI reports the message
// as it stands, without a stack trace, and exits with code 2.

export class InputError extends Error {
  override name = 'InputError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
