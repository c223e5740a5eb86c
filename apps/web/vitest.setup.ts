// Unmounts what a test rendered and clears the session between tests (no globals: explicit hooks).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
