const set = process.argv[2];
if (set === 'eval') { await import('/work/wt/prun/dist/eval/evaluate.js'); await import('/work/wt/prun/dist/eval/evaluation-table.js'); await import('/work/wt/prun/dist/eval/run-file.js'); await import('/work/wt/prun/dist/eval/trec-qrels.js'); await import('/work/wt/prun/dist/eval/measure.js'); }
if (set === 'out') { await import('/work/wt/prun/dist/eval/results-files.js'); await import('/work/wt/prun/dist/core/directories.js'); }
if (set === 'cli') { await import('/work/wt/prun/dist/cli/program.js'); await import('/work/wt/prun/dist/cli/run-cli.js'); await import('/work/wt/prun/dist/cli/commands/score.js'); }
if (set === 'commander') { await import('@commander-js/extra-typings'); }
