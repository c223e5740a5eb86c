/**
 * The scenarios that hold up to 15,000 connections on one server at a time, only on request
 * (`--scenario=growth`, `--scenario=soak`): each run, its progress lines, its docs section, and
 * for growth the plot written beside docs/benchmarks.md (not with --quick).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_VARIANTS, SERVER_LABELS } from '../lib/commands.js';
import type { BenchConfig } from '../lib/config.js';
import { GROWTH_SVG, renderGrowthSection, renderGrowthSvg } from '../lib/growth-report.js';
import { machineInfo } from '../lib/machine.js';
import { loadAverage } from '../lib/metrics-report.js';
import { renderSoakSection, soakVerdict } from '../lib/soak-report.js';
import { GROWTH_SERVERS, measureGrowth, type GrowthResults } from './growth.js';
import { measureSoak, type SoakMetrics } from './soak.js';
import type { Outcome } from './session.js';

export interface ScaleRuns {
  sections: string[];
  failed: boolean;
  growth: GrowthResults | null;
  soak: Outcome<SoakMetrics> | null;
}

const DOCS_DIR = new URL('../../docs/', import.meta.url);

export async function runScaleScenarios(config: BenchConfig, progress: (line: string) => void): Promise<ScaleRuns> {
  const out: ScaleRuns = { sections: [], failed: false, growth: null, soak: null };
  if (config.scenarios.includes('growth')) {
    const load = loadAverage();
    const servers = config.servers.filter((k) => GROWTH_SERVERS.includes(k) && !CLIENT_VARIANTS.includes(k));
    const growth: GrowthResults = {};
    for (const kind of servers) {
      progress(`growth: ${SERVER_LABELS[kind]} at ${config.growth.steps.join(' / ')} connections`);
      const outcome = await measureGrowth(kind, config, progress);
      growth[kind] = outcome;
      if (!outcome.ok) {
        out.failed = true;
        progress(`  FAILED: ${outcome.error.split('\n')[0]}`);
      }
    }
    out.growth = growth;
    out.sections.push(renderGrowthSection(growth, config, machineInfo(), load));
    if (!config.quick) {
      const svg = new URL(GROWTH_SVG, DOCS_DIR);
      writeFileSync(svg, renderGrowthSvg(growth, config.growth.steps));
      progress(`wrote ${fileURLToPath(svg)}`);
    }
  }
  if (config.scenarios.includes('soak') && config.servers.includes('hubwire')) {
    const start = loadAverage();
    const { connections, minutes } = config.soak;
    progress(`soak: ${connections} Hubwire connections for ${minutes} min`);
    const soak = await measureSoak(config, progress);
    out.soak = soak;
    if (!soak.ok) {
      out.failed = true;
      progress(`  FAILED: ${soak.error.split('\n')[0]}`);
    } else {
      const v = soakVerdict(soak.value);
      progress(`  memory ${v.flat ? 'flat' : 'NOT flat'} (${(v.rssSlopePerMin / 2 ** 20).toFixed(2)} MB/min), ${v.errors} error(s), p99 ${soak.value.total.latency.p99.toFixed(1)} ms`);
      if (v.errors > 0) out.failed = true;
    }
    out.sections.push(renderSoakSection(soak, config, machineInfo(), { start, end: loadAverage() }));
  }
  return out;
}
