/**
 * A promise chain that runs async tasks one at a time, in call order. The pipeline and the cloud
 * link call the queue concurrently; running every mutation through one chain keeps counters exact.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined); // a failed task must not block the next one
    return result;
  }
}
