import { Workbox } from 'workbox-window';

/**
 * The service worker precaches the app shell, so the app opens with no network. A new version
 * waits until the user accepts it (a banner), so a deploy never reloads a page mid-edit.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return;
  const workbox = new Workbox('/sw.js');
  workbox.addEventListener('waiting', () => {
    const banner = document.createElement('div');
    banner.className = 'notices';
    banner.setAttribute('role', 'alert');
    const box = document.createElement('div');
    box.className = 'notice';
    box.textContent = 'A new version is ready. ';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload';
    button.addEventListener('click', () => {
      workbox.addEventListener('controlling', () => location.reload());
      workbox.messageSkipWaiting();
    });
    box.append(button);
    banner.append(box);
    document.body.append(banner);
  });
  // A reminder notification clicked while the app is open: the worker asks to show its task.
  navigator.serviceWorker.addEventListener('message', (event) => {
    const data = event.data as { type?: unknown; url?: unknown } | null;
    if (data?.type !== 'open' || typeof data.url !== 'string' || !data.url.startsWith('/#/'))
      return;
    location.hash = data.url.slice(1);
  });
  void workbox.register();
}
