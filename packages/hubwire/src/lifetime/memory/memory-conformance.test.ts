import { lifetimeManagerSuite } from '../conformance/lifetime-manager-suite.js';
import { MemoryLifetimeManager } from './memory-lifetime-manager.js';

lifetimeManagerSuite({
  name: 'MemoryLifetimeManager',
  sharedBackplane: false,
  system: () => ({
    node: async ({ metrics }) => new MemoryLifetimeManager({ metrics }),
    close: async () => undefined,
  }),
});
