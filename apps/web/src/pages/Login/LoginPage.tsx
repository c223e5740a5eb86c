/**
 * Log in with a demo user (POST /api/auth/token): a form, and one button per demo user that
 * fills it. After it, the app goes where the visitor was sent from (`?next=`), else home.
 * @module
 */
import { useId, useState, type FormEvent } from 'react';
import { Redirect, useSearch } from 'wouter';
import { isAppPath } from '../../app/paths';
import { useAuth } from '../../auth/auth-context';
import { DEMO_USERS } from '../../auth/login';
import { Page } from '../../components/Page';
import './login.css';

/** The login view. */
export function LoginPage() {
  const { user, login, notice } = useAuth();
  const search = useSearch();
  const next = new URLSearchParams(search).get('next');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), password: useId(), error: useId() };

  if (user !== undefined) return <Redirect to={isAppPath(next) ? next : '/'} replace />;

  const submit = async (name: string, secret: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await login(name.trim(), secret);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(username, password);
  };

  return (
    <Page title="Log in" testId="page-login">
      <div className="login">
        {notice === undefined ? null : (
          <p className="notice notice-warning" role="status" data-testid="login-notice">
            {notice}
          </p>
        )}
        <form className="login-form" onSubmit={onSubmit} data-testid="login-form" aria-describedby={error === undefined ? undefined : ids.error}>
          <label htmlFor={ids.username}>User name</label>
          <input id={ids.username} name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} data-testid="login-username" />
          <label htmlFor={ids.password}>Password</label>
          <input id={ids.password} name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} data-testid="login-password" />
          <button type="submit" disabled={busy} data-testid="login-submit">
            {busy ? 'Logging in…' : 'Log in'}
          </button>
          {error === undefined ? null : (
            <p id={ids.error} className="notice notice-error" role="alert" data-testid="login-error">
              {error}
            </p>
          )}
        </form>
        <section className="demo-users" aria-labelledby="demo-users-title">
          <h2 id="demo-users-title">Demo users</h2>
          <p className="muted">
            In demo mode the server knows these users; the password of each is <code>demo</code>.
          </p>
          <ul>
            {DEMO_USERS.map((demo) => (
              <li key={demo.username}>
                <button
                  type="button"
                  className="button-quiet"
                  disabled={busy}
                  data-testid={`login-as-${demo.username}`}
                  onClick={() => {
                    setUsername(demo.username);
                    setPassword('demo');
                    void submit(demo.username, 'demo');
                  }}
                >
                  Log in as <strong>{demo.username}</strong>
                </button>{' '}
                <span className="muted">{demo.description}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </Page>
  );
}
