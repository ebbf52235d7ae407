/**
 * Copies the device models of adapters/ into deploy/kubernetes/configmap.yaml (keys
 * <vendor>.<model>.yaml), keeping the rest of the file and its comments. Run after editing a model:
 *   npm run k8s:models
 * test/unit/deploy-kubernetes.test.ts fails while the copies differ.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, Scalar } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');
const FILE = path.join(ROOT, 'deploy/kubernetes/configmap.yaml');

const doc = parseDocument(await readFile(FILE, 'utf8'));
const data = doc.get('data', true) as { items: { key: Scalar; value: Scalar }[] } | undefined;
if (!data) throw new Error(`${FILE}: no data section`);
let updated = 0;
for (const item of data.items) {
  const key = String(item.key.value);
  if (key === 'site.yaml' || !key.endsWith('.yaml')) continue;
  const [vendor, ...rest] = key.replace(/\.yaml$/, '').split('.');
  const model = path.join(ROOT, 'adapters', vendor ?? '', `${rest.join('.')}.yaml`);
  const text = await readFile(model, 'utf8');
  if (item.value.value !== text) updated++;
  item.value = Object.assign(new Scalar(text), { type: Scalar.BLOCK_LITERAL });
}
await writeFile(FILE, doc.toString({ lineWidth: 0 }));
console.log(`${path.relative(ROOT, FILE)}: ${updated} model(s) updated`);
