import { createSignal } from 'solid-js';

/**
 * Views are addressed by the URL hash (`#/today`, `#/project/<id>`), so every view survives a
 * reload and the service worker serves one index.html for all of them.
 */
export type Route =
  | {
      view:
        | 'inbox'
        | 'today'
        | 'upcoming'
        | 'all'
        | 'trash'
        | 'board'
        | 'calendar'
        | 'time'
        | 'analytics'
        | 'settings'
        | 'admin'
        | 'inbox-notes';
    }
  | { view: 'project'; id: string }
  | { view: 'tag'; key: string }
  /** One task, opened in the editor over All tasks (what a reminder notification links to). */
  | { view: 'task'; id: string };

export function parseRoute(hash: string): Route {
  const [, view = 'inbox', arg = ''] = hash.replace(/^#/, '').split('/');
  const decoded = decodeURIComponent(arg);
  switch (view) {
    case 'project':
      return decoded ? { view, id: decoded } : { view: 'inbox' };
    case 'tag':
      return decoded ? { view, key: decoded } : { view: 'inbox' };
    case 'task':
      return decoded ? { view, id: decoded } : { view: 'inbox' };
    case 'today':
    case 'upcoming':
    case 'all':
    case 'trash':
    case 'board':
    case 'calendar':
    case 'time':
    case 'analytics':
    case 'settings':
    case 'admin':
    case 'inbox-notes':
      return { view };
    default:
      return { view: 'inbox' };
  }
}

export function routeHref(route: Route): string {
  if (route.view === 'project') return `#/project/${encodeURIComponent(route.id)}`;
  if (route.view === 'tag') return `#/tag/${encodeURIComponent(route.key)}`;
  if (route.view === 'task') return `#/task/${encodeURIComponent(route.id)}`;
  return `#/${route.view}`;
}

const [route, setRoute] = createSignal<Route>(parseRoute(location.hash));
window.addEventListener('hashchange', () => setRoute(parseRoute(location.hash)));

export { route };

export function navigate(next: Route): void {
  location.hash = routeHref(next);
}
