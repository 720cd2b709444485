#!/usr/bin/env node
// Installed as the `fobkit-backend` bin. A committed stub rather than dist/ itself, because npm links
// workspace bins at install time, before `prepare` has built dist/.
import '../dist/cli/main.js';
