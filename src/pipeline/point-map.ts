/**
 * A value per (device, point), as a map of maps: the per-sample stages look points up on every
 * sample of every poll, and a joined `device/point` key would build a new string each time.
 */
export class PointMap<T> {
  private readonly byDevice = new Map<string, Map<string, T>>();

  get(device: string, point: string): T | undefined {
    return this.byDevice.get(device)?.get(point);
  }

  set(device: string, point: string, value: T): void {
    let points = this.byDevice.get(device);
    if (!points) {
      points = new Map();
      this.byDevice.set(device, points);
    }
    points.set(point, value);
  }

  delete(device: string, point: string): void {
    this.byDevice.get(device)?.delete(point);
  }
}
