/** The dashboard's entry: theme first (no flash of the wrong one), then the app. */
import { render } from 'preact';
import './styles.css';
import { App } from './app.js';
import { applyTheme, currentTheme } from './theme.js';

applyTheme(currentTheme());
const root = document.getElementById('app');
if (root) render(<App />, root);
