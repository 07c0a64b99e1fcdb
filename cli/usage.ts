/** A mistake in how a command was called: reported on stderr with exit code 1. */
export class UsageError extends Error {}
