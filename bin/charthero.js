#!/usr/bin/env node
// The operator CLI runs the compiled build (npm ci runs `prepare`, which builds it).
import '../dist/cli/main.js';
