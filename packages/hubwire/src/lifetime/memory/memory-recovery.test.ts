import { createCounterMetrics } from '../../core/metrics.js';
import { jsonHubProtocol } from '../../protocol/json/json-hub-protocol.js';
import { messagePackHubProtocol } from '../../protocol/msgpack/msgpack-hub-protocol.js';
import { recoverySuite, recoveryTestNode } from '../conformance/recovery-suite.js';
import { MemoryLifetimeManager } from './memory-lifetime-manager.js';

recoverySuite({
  name: 'MemoryLifetimeManager',
  maxNodes: 1,
  createNodes: async (_count, recovery) => {
    const metrics = createCounterMetrics();
    const manager = new MemoryLifetimeManager({ recovery, metrics, protocols: [jsonHubProtocol, messagePackHubProtocol], hubName: 'TestHub' });
    return [recoveryTestNode(manager, metrics)];
  },
});
