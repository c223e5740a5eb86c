/**
 * The metrics docs stay true: docs/operations.md lists every metric the app exports, and
 * docs/grafana-dashboard.json is an importable dashboard whose queries name only metrics and
 * labels that exist — and show every Hubwire metric.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { allSpecs } from '../../apps/server/src/observability/index.js';
import { processMetricsRegistry } from '../../apps/server/src/observability/prometheus.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** Labels Prometheus adds to every scraped sample. */
const TARGET_LABELS = ['instance', 'job'];

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: { expr: string; refId: string; datasource?: { uid?: string } }[];
  readonly datasource?: { uid?: string };
}

/** Every metric name a query may use, with the labels its samples carry. */
async function knownMetrics(): Promise<Map<string, readonly string[]>> {
  const known = new Map<string, readonly string[]>();
  for (const spec of allSpecs()) {
    known.set(spec.promName, spec.promLabels);
    if (spec.kind === 'histogram') {
      known.set(`${spec.promName}_bucket`, [...spec.promLabels, 'le']);
      known.set(`${spec.promName}_sum`, spec.promLabels);
      known.set(`${spec.promName}_count`, spec.promLabels);
    }
  }
  for (const metric of await processMetricsRegistry().getMetricsAsJSON()) {
    // Declared label names (a histogram without samples yet has no labels to show).
    const declared = (processMetricsRegistry().getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    const labels = [...new Set([...declared, ...metric.values.flatMap((value) => Object.keys(value.labels))])];
    known.set(metric.name, labels);
    for (const suffix of ['_bucket', '_sum', '_count']) known.set(metric.name + suffix, [...labels, 'le']);
  }
  return known;
}

describe('metrics docs', () => {
  test('docs/operations.md lists every metric with its type and labels', () => {
    const text = doc('operations.md');
    for (const spec of allSpecs()) {
      const row = text.split('\n').find((line) => line.startsWith(`| \`${spec.promName}\` |`));
      assert.ok(row, `${spec.promName} in docs/operations.md`);
      for (const label of spec.promLabels) assert.ok(row.includes(`\`${label}\``), `${spec.promName}'s label ${label} in its row`);
      const type = spec.kind === 'updown' ? 'gauge' : spec.kind;
      assert.ok(row.includes(`| ${type}`), `${spec.promName} is documented as a ${type}`);
    }
  });

  test('docs/grafana-dashboard.json imports and queries only what exists', async () => {
    const dashboard = JSON.parse(doc('grafana-dashboard.json')) as { __inputs: { name: string; pluginId: string }[]; panels: Panel[]; uid: string; title: string; templating: { list: { name: string }[] } };
    assert.deepEqual(
      dashboard.__inputs.map((input) => [input.name, input.pluginId]),
      [['DS_PROMETHEUS', 'prometheus']],
    );
    assert.equal(dashboard.uid, 'hubwire-overview');
    assert.deepEqual(
      dashboard.templating.list.map((variable) => variable.name),
      ['instance', 'hub'],
    );
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of dashboard.panels) assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);

    const known = await knownMetrics();
    const used = new Set<string>();
    for (const panel of dashboard.panels.filter((candidate) => candidate.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${DS_PROMETHEUS}', `${panel.title} uses the imported data source`);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
      for (const { expr } of panel.targets ?? []) {
        let depth = 0;
        for (const char of expr) {
          depth += char === '(' ? 1 : char === ')' ? -1 : 0;
          assert.ok(depth >= 0, `parentheses in ${expr}`);
        }
        assert.equal(depth, 0, `parentheses in ${expr}`);
        const selectors = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)];
        assert.ok(selectors.length > 0, `${panel.title}: ${expr} selects a metric`);
        const labelsInExpr = new Set<string>();
        for (const [, name, matchers] of selectors) {
          const labels = known.get(name!);
          assert.ok(labels, `${panel.title}: unknown metric ${name}`);
          used.add(name!.replace(/_(bucket|sum|count)$/, (suffix) => (known.has(name!.slice(0, -suffix.length)) ? '' : suffix)));
          for (const [, label] of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=~?/g)) {
            assert.ok(labels.includes(label!) || TARGET_LABELS.includes(label!), `${panel.title}: ${name} has no label ${label}`);
          }
          for (const label of labels) labelsInExpr.add(label);
        }
        for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
          for (const label of list!.split(',').map((part) => part.trim())) {
            assert.ok(labelsInExpr.has(label) || TARGET_LABELS.includes(label), `${panel.title}: grouping by ${label}, which ${expr} does not have`);
          }
        }
      }
    }
    for (const spec of allSpecs()) assert.ok(used.has(spec.promName), `the dashboard shows ${spec.promName}`);
  });
});
