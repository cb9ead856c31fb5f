// Bad input from the user (a malformed file, an out-of-range option). The CLI reports the message
// as it stands, without a stack trace, and exits with code 2.

export class InputError extends Error {
  override name = 'InputError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** What a filesystem error code means, in words for a message (fs errors' own text names the syscall). */
export const FILESYSTEM_REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  // a file where a folder is made (tables/ a file), or a folder where a file is renamed into place
  EEXIST: 'a file or folder of that name is in the way',
  ENOTEMPTY: 'a folder of that name is in the way',
  ENAMETOOLONG: 'the name is too long for the file system',
  ELOOP: 'too many symbolic links (a link that leads back to itself?)',
};

/** "read-only file system", "permission denied", …: the reason in words, for messages. */
export function filesystemReason(error: NodeJS.ErrnoException): string {
  return (error.code && FILESYSTEM_REASONS[error.code]) ?? error.message;
}
