#!/usr/bin/env node
console.log("maskpack");
