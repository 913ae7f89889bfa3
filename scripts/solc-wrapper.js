#!/usr/bin/env node
// A native-solc-compatible front for solc-js, so forge can use it via `--use`:
// answers `--version` in native solc's format and compiles `--standard-json` from stdin.
'use strict';
const solc = require('solc');
const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  // solc-js reports e.g. "0.8.37+commit.abc.Emscripten.clang"; forge parses the Version line.
  const v = solc.version().replace('.Emscripten.clang', '.Linux.g++');
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + v + '\n');
  process.exit(0);
}
if (args.includes('--standard-json')) {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c) => { input += c; });
  process.stdin.on('end', () => {
    const fs = require('fs');
    const path = require('path');
    const baseIdx = args.indexOf('--base-path');
    const base = baseIdx >= 0 ? args[baseIdx + 1] : process.cwd();
    const includes = [];
    args.forEach((a, i) => { if (a === '--include-path') includes.push(args[i + 1]); });
    const findImports = (p) => {
      for (const dir of [base, ...includes, process.cwd()]) {
        const full = path.isAbsolute(p) ? p : path.join(dir, p);
        if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
      }
      return { error: 'File not found: ' + p };
    };
    process.stdout.write(solc.compile(input, { import: findImports }));
  });
  return;
}
process.stderr.write('solc-wrapper: only --version and --standard-json are supported\n');
process.exit(1);
