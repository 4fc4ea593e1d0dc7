/** Shell: sign-in gate, top navigation and the page for the current path. */
import { useEffect, useState } from 'react';
import { clearApiKey, getApiKey } from './auth';
import { NewTaskPage } from './pages/NewTask';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/Runs';
import { ScriptsPage } from './pages/Scripts';
import { SessionsPage } from './pages/Sessions';
import { SettingsPage } from './pages/Settings';
import { SignInPage } from './pages/SignIn';
import { Link, navigate, useLocation } from './router';

const NAV = [
  { to: '/runs', label: 'Runs', match: (p: string) => p === '/' || p.startsWith('/runs') },
  { to: '/tasks/new', label: 'New task', match: (p: string) => p.startsWith('/tasks') },
  { to: '/sessions', label: 'Browser sessions', match: (p: string) => p.startsWith('/sessions') },
  { to: '/scripts', label: 'Scripts', match: (p: string) => p.startsWith('/scripts') },
  { to: '/settings', label: 'Settings', match: (p: string) => p.startsWith('/settings') },
];

export function App() {
  const [signedIn, setSignedIn] = useState(() => getApiKey() !== null);
  const { path } = useLocation();

  useEffect(() => {
    const onUnauthorized = () => {
      clearApiKey();
      setSignedIn(false);
    };
    window.addEventListener('wren:unauthorized', onUnauthorized);
    return () => window.removeEventListener('wren:unauthorized', onUnauthorized);
  }, []);

  if (!signedIn) return <SignInPage onSignedIn={() => setSignedIn(true)} />;

  const signOut = () => {
    clearApiKey();
    setSignedIn(false);
    navigate('/');
  };

  const runMatch = /^\/runs\/([^/]+)$/.exec(path);
  let page: React.ReactNode;
  if (runMatch) page = <RunPage key={runMatch[1]} runId={decodeURIComponent(runMatch[1] ?? '')} />;
  else if (path === '/' || path === '/runs') page = <RunsPage />;
  else if (path === '/tasks/new') page = <NewTaskPage />;
  else if (path === '/sessions') page = <SessionsPage />;
  else if (path === '/scripts') page = <ScriptsPage />;
  else if (path === '/settings') page = <SettingsPage onSignOut={signOut} />;
  else
    page = (
      <div className="page">
        <h1>Page not found</h1>
        <p>
          <Link to="/runs">Go to runs</Link>
        </p>
      </div>
    );

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/runs" className="brand">
          <span className="logo" aria-hidden="true" />
          Wren
        </Link>
        <nav>
          {NAV.map((item) => (
            <Link
              key={item.to}
              to={item.to}
              className={`nav-link ${item.match(path) ? 'nav-on' : ''}`}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-right">
          <a href="/openapi.json" className="nav-link" target="_blank" rel="noreferrer">
            API
          </a>
          <button type="button" className="btn btn-small btn-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>{page}</main>
    </div>
  );
}
