/**
 * The entry point: mounts the app with its session and hub-status providers.
 * @module
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { AuthProvider } from './auth/auth-context';
import { HubStatusProvider } from './hubs/hub-status-context';
import './styles/base.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <AuthProvider>
      <HubStatusProvider>
        <App />
      </HubStatusProvider>
    </AuthProvider>
  </StrictMode>,
);
