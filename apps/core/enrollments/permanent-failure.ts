/**
 * A failure retrying cannot fix (the enrollment is gone, its stored journey version does not parse).
 * Core throws it; the worker's activity turns it into a non-retryable ApplicationFailure.
 */
export class PermanentFailure extends Error {
  override readonly name = "PermanentFailure";
}
