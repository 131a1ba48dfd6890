// The PWA lives in app/; this root config delegates to it so `vite build` works from here too.
export { default } from './app/vite.config.ts';
