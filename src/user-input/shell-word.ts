// A path or value as one word of a shell command line, for the commands messages suggest: a folder
// with a space or a quote in its name still pastes as one argument.

/** Characters a POSIX shell takes literally in an unquoted word. */
const PLAIN_WORD = /^[A-Za-z0-9_./@%+=:,-]+$/;

/** `text` as it would be typed: as it is where the shell reads it literally, else in single quotes (a ' inside as '\''). */
export function shellWord(text: string): string {
  return PLAIN_WORD.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
