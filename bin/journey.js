#!/usr/bin/env node
// Runs the built CLI; `npm run build` produces dist/. In a checkout without a build, use `npm run journey --`.
import '../dist/cli/main.js';
