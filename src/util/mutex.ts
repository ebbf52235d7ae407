/**
 * A promise chain that runs async tasks one at a time, in call order (the queue's counters, one
 * Modbus transaction per connection). A failed task does not block the next one.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
