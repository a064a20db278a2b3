import './lib/localeguard';
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { applyTheme, initialTheme } from './lib/theme';

applyTheme(initialTheme());

const app = mount(App, { target: document.getElementById('app')! });

export default app;
