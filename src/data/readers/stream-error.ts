// Why a file's byte stream stopped early or was not all it claimed: what the readers turn into a
// counted error of the file (never a crash of the run).

/** Cut short, bytes that are not the declared format, or no access. */
export type StreamFailure = 'truncated' | 'corrupt' | 'unreadable';

export class StreamError extends Error {
  constructor(
    readonly failure: StreamFailure,
    message: string,
  ) {
    super(message);
  }
}
