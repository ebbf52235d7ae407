/**
 * Test helper: validates a Kubernetes manifest against the API's OpenAPI schema, using the
 * generated models of kubernetes-models (ajv validators compiled into the package: no network).
 * Only the kinds Edgeway ships are listed; anything else fails as not current.
 */
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace, type INamespace } from 'kubernetes-models/v1/Namespace';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';

export type { IDaemonSet, IConfigMap, INamespace, ISecret, IService };

interface Validatable {
  validate(): void;
}

/** apiVersion/kind -> the generated model that validates it. */
const KINDS: Record<string, (doc: object) => Validatable> = {
  'apps/v1/DaemonSet': (doc) => new DaemonSet(doc),
  'v1/ConfigMap': (doc) => new ConfigMap(doc),
  'v1/Namespace': (doc) => new Namespace(doc),
  'v1/Secret': (doc) => new Secret(doc),
  'v1/Service': (doc) => new Service(doc),
};

/** Throws when `doc` is not a listed kind at its current apiVersion, or breaks its schema. */
export function validateManifest(doc: Record<string, unknown>): void {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const make = KINDS[key];
  if (!make) throw new Error(`${key} is not a current Kubernetes kind this check knows`);
  make(doc).validate();
}

/** `value`, or an assertion error naming what is missing. */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing: ${what}`);
  return value;
}
