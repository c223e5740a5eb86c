/**
 * The app: the layout around the route table. `/login` is open to all; `/` and every area need
 * a login, and an area with a role refuses users without it.
 * @module
 */
import { Suspense } from 'react';
import { Route, Switch } from 'wouter';
import { LoginPage } from '../pages/Login/LoginPage';
import { HomePage } from '../pages/Home/HomePage';
import { NotFoundPage } from '../pages/NotFound/NotFoundPage';
import { RequireAuth } from './guards';
import { Layout } from './Layout';
import { LOGIN_PATH } from './paths';
import { ROUTES } from './routes';

function Loading() {
  return (
    <p className="muted" role="status">
      Loading…
    </p>
  );
}

/** Every view of the app. */
export function App() {
  return (
    <Layout>
      <Switch>
        <Route path={LOGIN_PATH} component={LoginPage} />
        <Route path="/">
          <RequireAuth title="Home">
            <HomePage />
          </RequireAuth>
        </Route>
        {ROUTES.map((route) => (
          <Route key={route.path} path={route.path} nest>
            <RequireAuth role={route.role} title={route.title}>
              <Suspense fallback={<Loading />}>
                <route.component />
              </Suspense>
            </RequireAuth>
          </Route>
        ))}
        <Route component={NotFoundPage} />
      </Switch>
    </Layout>
  );
}
