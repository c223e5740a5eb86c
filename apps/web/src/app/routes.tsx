/**
 * The route table: each area's path (app/paths.ts) and the page that renders it. Pages load on
 * first visit (their own chunks), so the event stream does not download the admin charts.
 * @module
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { AREAS, type Area } from './paths';

/** A route: the area and its page. */
export interface AppRoute extends Area {
  readonly component: LazyExoticComponent<ComponentType>;
}

const PAGES: Readonly<Record<string, LazyExoticComponent<ComponentType>>> = {
  '/events': lazy(() => import('../pages/Events/EventsPage').then((module) => ({ default: module.EventsPage }))),
  '/chat': lazy(() => import('../pages/Chat/ChatPage').then((module) => ({ default: module.ChatPage }))),
  '/campaigns': lazy(() => import('../pages/Campaigns/CampaignsPage').then((module) => ({ default: module.CampaignsPage }))),
  '/organizations': lazy(() => import('../pages/Organizations/OrganizationsPage').then((module) => ({ default: module.OrganizationsPage }))),
  '/admin': lazy(() => import('../pages/Admin/AdminPage').then((module) => ({ default: module.AdminPage }))),
  '/operator': lazy(() => import('../pages/Operator/OperatorPage').then((module) => ({ default: module.OperatorPage }))),
};

/** Every area with its page, in navigation order. */
export const ROUTES: readonly AppRoute[] = AREAS.map((area) => {
  const component = PAGES[area.path];
  if (component === undefined) throw new Error(`No page for the area ${area.path}.`);
  return { ...area, component };
});
