/** The top bar: where to go, who is signed in, the theme toggle and sign out. */
import { useState } from 'preact/hooks';
import { onLinkClick, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { chooseTheme, currentTheme, type Theme } from '../theme.js';

export function Header() {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const [theme, setTheme] = useState<Theme>(currentTheme());
  const links: [string, string][] = [
    ['/jobs', 'Jobs'],
    ['/submit', 'Submit'],
    ['/cluster', 'Cluster'],
    ['/share', 'Fair share'],
    ...(me.admin ? ([['/admin', 'Admin']] as [string, string][]) : []),
  ];
  const current = (href: string) => path === href || (href === '/jobs' && (path === '/' || path.startsWith('/jobs/')));
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    chooseTheme(next);
    setTheme(next);
  };
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <span class="brand">GoDocker</span>
      <nav aria-label="Main">
        <ul>
          {links.map(([href, label]) => (
            <li key={href}>
              <a href={href} onClick={onLinkClick} aria-current={current(href) ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span>
          {me.name}
          {me.admin ? ' (admin)' : ''}
        </span>
        <button type="button" class="ghost" onClick={toggle} aria-pressed={theme === 'dark'}>
          Dark theme
        </button>
        <button type="button" class="ghost" onClick={signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
