// How the executor writes a task's output so that a killed run resumes without losing or
// repeating a document: output goes to numbered part files, one per checkpoint interval, each
// published by a rename when its checkpoint is taken. A resumed task deletes the parts written
// after its last checkpoint and starts the next one; a finished task's parts become its final
// file(s).

/** One part file being written. */
export interface PartSink<T> {
  write(item: T): void;
  /** Finishes the part and publishes it under its part name (durably: fsync, then rename). */
  commit(): void;
}

export interface OutputWriter<T> {
  /** Short name, used for the parts folder (e.g. 'data', 'dropped', 'tokens'). */
  readonly name: string;
  openPart(task: number, part: number): PartSink<T>;
  /** Deletes parts numbered `from` and above, and half-written temp files, left by a killed run. */
  discardParts(task: number, from: number): void;
  /** Publishes parts 0 .. parts-1 as the task's final output (again, if a killed run did it already); returns the final files. */
  finishTask(task: number, parts: number): Promise<string[]>;
  /** Deletes the task's parts once its completion is recorded. */
  removeParts(task: number): void;
}
