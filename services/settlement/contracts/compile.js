// Compiles Pactline's escrow contracts offline with the pinned solcjs and OpenZeppelin v5 from
// node_modules, and writes one JSON artifact (abi + bytecode) per contract. Settings are fixed
// so the output is byte-for-byte reproducible; libs/escrow's tests recompile and compare.
//
// Usage: node services/settlement/contracts/compile.js [--out DIR] [--test-out DIR]
// src/ contracts go to --out (default libs/escrow/src/pactline_escrow/artifacts, shipped as
// package data); test/ contracts (hostile tokens, the gas probe) go to --test-out (default
// libs/escrow/tests/artifacts), so the installed package never carries them.
"use strict";

const fs = require("fs");
const path = require("path");

const HERE = __dirname;
const ROOT = path.resolve(HERE, "../../..");
const solc = require(path.join(ROOT, "node_modules/solc"));

const SHIPPED = ["src/AgenticCommerce.sol", "src/AggregateEscrow.sol", "src/MockUSDC.sol"];
const TEST_ONLY = [
  "test/ReentrantToken.sol",
  "test/FeeOnTransferToken.sol",
  "test/NoReturnToken.sol",
  "test/BlacklistToken.sol",
  "test/GasProbe.sol",
];
const SOURCES = [...SHIPPED, ...TEST_ONLY];

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function option(argv, flag, fallback) {
  const i = argv.indexOf(flag);
  if (i >= 0 && argv[i + 1]) return path.resolve(argv[i + 1]);
  return path.join(ROOT, fallback);
}

function findImport(importPath) {
  if (importPath.startsWith("@openzeppelin/")) {
    const file = path.join(ROOT, "node_modules", importPath);
    return { contents: fs.readFileSync(file, "utf8") };
  }
  const local = path.join(HERE, importPath);
  if (fs.existsSync(local)) return { contents: fs.readFileSync(local, "utf8") };
  return { error: `not found: ${importPath}` };
}

function main() {
  const outDirs = {
    shipped: option(process.argv, "--out", "libs/escrow/src/pactline_escrow/artifacts"),
    test: option(process.argv, "--test-out", "libs/escrow/tests/artifacts"),
  };
  const sources = {};
  for (const name of SOURCES) {
    sources[name] = { content: fs.readFileSync(path.join(HERE, name), "utf8") };
  }
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
  if (errors.length) process.exit(1);

  for (const dir of Object.values(outDirs)) fs.mkdirSync(dir, { recursive: true });
  for (const name of SOURCES) {
    const outDir = SHIPPED.includes(name) ? outDirs.shipped : outDirs.test;
    for (const [contractName, c] of Object.entries(output.contracts[name])) {
      const artifact = {
        contractName,
        sourceName: name,
        compiler: `solc ${solc.version()}`,
        settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      };
      fs.writeFileSync(path.join(outDir, `${contractName}.json`), JSON.stringify(artifact, null, 2) + "\n");
    }
  }
  process.stdout.write(`wrote ${outDirs.shipped} and ${outDirs.test}\n`);
}

main();
