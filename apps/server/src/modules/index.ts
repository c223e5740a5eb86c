/**
 * The features the server runs, in registration order. To add one: import its module and list
 * it here (one line each).
 * @module
 */
import type { AppModule } from '../app-context.js';
import { adminModule } from './admin/index.js';
import { campaignsModule } from './campaigns/index.js';
import { chatModule } from './chat/index.js';
import { eventsModule } from './events/index.js';
import { operatorModule } from './operator/index.js';
import { synaxisModule } from './synaxis/index.js';
import { webAppModule } from './web-app/index.js';

/** Every module of the server. */
export const modules: readonly AppModule[] = [
  eventsModule,
  adminModule,
  chatModule,
  campaignsModule,
  synaxisModule,
  webAppModule,
  operatorModule,
];
