import { render } from 'solid-js/web';
import { App } from './app.js';
import { registerServiceWorker } from './service-worker-registration.js';
import { applyTheme } from './theme.js';
import './styles.css';

applyTheme();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
render(() => <App />, root);
registerServiceWorker();
