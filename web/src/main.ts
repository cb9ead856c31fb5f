// Entry point of the dashboard page.
import './app/cs-app.js';
