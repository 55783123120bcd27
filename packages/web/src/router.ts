/**
 * Page addresses in the browser's history (/jobs, /jobs/42, /submit...): the daemon answers
 * each with the dashboard's page, so a link can be shared and reloaded.
 */
import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'godocker:navigate';

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current address (path and query), re-rendering on every change. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const read = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [here, setHere] = useState(read);
  useEffect(() => {
    const update = () => setHere(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return here;
}

/** A left click on a link changes the page in place; a middle click or ctrl-click still opens a tab. */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
