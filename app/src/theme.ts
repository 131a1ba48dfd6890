const KEY = 'tasks.theme';

/** Dark mode: the system's preference until the user picks one. */
export function applyTheme(): void {
  const stored = localStorage.getItem(KEY);
  const dark = stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function toggleTheme(): void {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  localStorage.setItem(KEY, next);
  applyTheme();
}
