/**
 * examples/slurm-array.sh on a real scheduler: a single-node Slurm cluster (munged, slurmctld, slurmd from Debian's
 * slurm-wlm and munge, all on loopback, all state in a temporary folder), a 4-shard encode array with tiny-bert and
 * its gather job, one array task requeued after it cached its first chunk. The final run.trec and document
 * embeddings must be byte-identical to an unsharded `reasonir eval`. Needs root and the daemons (.ci/run installs
 * them when it runs as root); anywhere else the test is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBrightParquet, brightColumns } from '../../tools/bright-parquet.mjs';
import { repoRoot, runReasonir } from '../helpers/cli.js';

const CHUNK_ROWS = 256; // the embedding cache's chunk: the unit a shard is made of
const DOCUMENTS = 8 * CHUNK_ROWS - 50; // 8 chunks: two per shard
const tinyBert = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny-bert');

interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  pidFiles: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

const binaries = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo'];
function which(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(path.join(dir, binary))) return path.join(dir, binary);
  }
  return null;
}

/** Starts munged, slurmctld and slurmd with everything under one temporary folder; throws with the reason. */
async function startCluster(): Promise<Cluster> {
  if (process.platform !== 'linux') throw new Error('Slurm runs on Linux only');
  if (process.getuid?.() !== 0) throw new Error('starting slurmctld/slurmd needs root (run .ci/run as root)');
  const missing = binaries.filter((binary) => which(binary) === null);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not installed (apt-get install slurm-wlm munge)`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'reasonir-slurm-'));
  await fs.chmod(dir, 0o755);
  for (const sub of ['state', 'spool', 'log']) await fs.mkdir(path.join(dir, sub));
  const key = path.join(dir, 'munge.key');
  await fs.writeFile(key, randomBytes(1024), { mode: 0o600 });
  const socket = path.join(dir, 'munge.sock');
  const pidFiles = [path.join(dir, 'munged.pid'), path.join(dir, 'slurmctld.pid'), path.join(dir, 'slurmd.pid')];
  const cluster: Cluster = { dir, env: {}, pidFiles };
  const munged = run(which('munged')!, ['--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${pidFiles[0]}`, `--log-file=${path.join(dir, 'log', 'munged.log')}`, `--seed-file=${path.join(dir, 'munged.seed')}`]);
  if (munged.code !== 0) throw new Error(`munged did not start: ${munged.out.trim()}`);
  const host = run('hostname', ['-s']).out.trim();
  // ports of our own, so a system Slurm (or another run of this test) is never touched
  const port = 20000 + (process.pid % 20000);
  const conf = path.join(dir, 'slurm.conf');
  await fs.writeFile(
    conf,
    [
      'ClusterName=reasonirci',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${path.join(dir, 'state')}`,
      `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
      `SlurmctldPidFile=${pidFiles[1]}`,
      `SlurmdPidFile=${pidFiles[2]}`,
      `SlurmctldLogFile=${path.join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerType=sched/builtin',
      // schedule within a second of a submission, a requeue or a finished dependency (the default waits up to a minute)
      'SchedulerParameters=sched_interval=1',
      'ReturnToService=2',
      'MpiDefault=none',
      // four one-CPU array tasks share the node whatever its real core count
      'SlurmdParameters=config_overrides',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'SwitchType=switch/none',
      'NodeName=reasonir-ci NodeAddr=127.0.0.1 CPUs=6 RealMemory=2000 State=UNKNOWN',
      'PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  cluster.env = { ...process.env, SLURM_CONF: conf };
  for (const [daemon, args] of [['slurmctld', ['-f', conf]], ['slurmd', ['-f', conf, '-N', 'reasonir-ci']]] as const) {
    const started = run(which(daemon)!, [...args], cluster.env);
    if (started.code !== 0) {
      await stopCluster(cluster);
      throw new Error(`${daemon} did not start: ${started.out.trim()}`);
    }
  }
  for (let waited = 0; ; waited += 500) {
    const state = run('sinfo', ['-h', '-o', '%t'], cluster.env).out.trim();
    if (state === 'idle') return cluster;
    if (waited > 30_000) {
      const log = await fs.readFile(path.join(dir, 'log', 'slurmctld.log'), 'utf8').catch(() => '');
      await stopCluster(cluster);
      throw new Error(`the Slurm node is "${state}", not idle, after 30 s: ${log.split('\n').filter((line) => line.includes('error')).slice(-3).join(' | ')}`);
    }
    await sleep(500);
  }
}

/** Stops the daemons this test started (by their pid files), then removes the folder. */
async function stopCluster(cluster: Cluster): Promise<void> {
  if (cluster.env.SLURM_CONF) run('scancel', ['--user=root'], cluster.env);
  for (const file of [...cluster.pidFiles].reverse()) {
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  await sleep(1000);
  await fs.rm(cluster.dir, { recursive: true, force: true });
}


function squeue(env: NodeJS.ProcessEnv): string[] {
  return run('squeue', ['-h', '-o', '%i %T'], env).out.trim().split('\n').filter(Boolean);
}

function chunkFiles(cache: string): string[] {
  const root = path.join(cache, 'embeddings');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => /chunks[/\\]\d{6}\.arrow$/.test(file)).map((file) => path.basename(file));
}

async function documentEmbeddings(cache: string): Promise<Buffer> {
  const root = path.join(cache, 'embeddings');
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('meta.json'))) {
    const meta = JSON.parse(await fs.readFile(path.join(root, file), 'utf8')) as { parts: { role: string } };
    if (meta.parts.role === 'document') return fs.readFile(path.join(root, path.dirname(file), 'embeddings.arrow'));
  }
  throw new Error(`no document embeddings under ${root}`);
}

describe('examples/slurm-array.sh on a real single-node Slurm cluster', () => {
  it('4 encode shards (one requeued mid-way) + the gather job give the unsharded run.trec and embeddings, byte for byte', async (ctx) => {
    // started here, not at import: a run that filters this test out never starts daemons
    let cluster: Cluster;
    try {
      cluster = await startCluster();
    } catch (error) {
      return ctx.skip(`Slurm cannot be started here: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      await runExample(cluster);
    } finally {
      await stopCluster(cluster);
    }
  }, 900_000);
});

/** Submits examples/slurm-array.sh to the cluster, requeues shard 3 mid-way, and compares with an unsharded eval. */
async function runExample(cluster: Cluster): Promise<void> {
  const { env, dir } = cluster;
  const work = path.join(dir, 'work');
  const dataDir = path.join(work, 'data');
  await fs.mkdir(path.join(dataDir, 'documents'), { recursive: true });
  await fs.mkdir(path.join(dataDir, 'examples'), { recursive: true });
  const words = 'cell protein membrane energy light plant root water soil carbon enzyme gene neuron signal heat'.split(' ');
  const rows = Array.from({ length: DOCUMENTS }, (_, i) => ({
    id: `doc${i}`,
    content: Array.from({ length: 40 }, (_, j) => `${words[(i * 7 + j * 3) % 15]}${(i + j) % 97}`).join(' '),
  }));
  writeBrightParquet({ filename: path.join(dataDir, 'documents', 'biology-00000-of-00001.parquet'), columns: brightColumns.documents, rows, rowGroupSize: 500 });
  writeBrightParquet({
    filename: path.join(dataDir, 'examples', 'biology-00000-of-00001.parquet'),
    columns: brightColumns.examples,
    rows: Array.from({ length: 6 }, (_, q) => ({ query: `${words[q]} ${words[q + 3]}`, reasoning: '', id: `q${q}`, excluded_ids: ['N/A'], gold_ids_long: ['N/A'], gold_ids: [`doc${q * 31}`], gold_answer: '' })),
  });
  // `reasonir` on PATH for the batch jobs, as an installed package would be
  const bin = path.join(work, 'bin');
  await fs.mkdir(bin);
  await fs.writeFile(path.join(bin, 'reasonir'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'dist', 'cli', 'main.js'))} "$@"\n`, { mode: 0o755 });
  const cache = path.join(work, 'cache');
  const out = path.join(work, 'results');
  const jobEnv = {
    ...env,
    PATH: `${bin}:${env.PATH}`,
    SHARDS: '4', TASKS: 'biology', MODEL: tinyBert, QUERIES: 'original', DEVICE: 'cpu', OUT: out,
    LOGS: path.join(work, 'logs'), GPUS: '', CPUS: '1', TIME: '30:00', DATA_DIR: dataDir, CHUNK_ROWS: String(CHUNK_ROWS),
    REASONIR_CACHE: cache, HF_HOME: path.join(work, 'hf'), HF_HUB_OFFLINE: '1',
  };
  const submitted = spawnSync('bash', [path.join(repoRoot, 'examples', 'slurm-array.sh')], { cwd: work, env: jobEnv, encoding: 'utf8' });
  expect(submitted.stderr).toBe('');
  expect(submitted.status).toBe(0);
  const [, arrayId, gatherId] = /encode array: (\d+) \(4 shards\); gather: (\d+)/.exec(submitted.stdout) ?? [];
  expect(arrayId).toBeDefined();

  // shard 3 covers chunks 6 and 7: requeue it once its first chunk is cached
  const deadline = Date.now() + 300_000;
  // (or once the documents are assembled, should shard 3 have been that quick: the requeue then reruns a finished task)
  const assembled = () => existsSync(path.join(cache, 'embeddings')) && readdirSync(path.join(cache, 'embeddings'), { recursive: true, encoding: 'utf8' }).some((file) => file.endsWith('embeddings.arrow'));
  while (!chunkFiles(cache).some((file) => file === '000006.arrow' || file === '000007.arrow') && !assembled()) {
    if (Date.now() > deadline) throw new Error(`shard 3 cached no chunk in 5 minutes; queue: ${squeue(env).join(', ')}`);
    await sleep(20);
  }
  const requeued = run('scontrol', ['requeue', `${arrayId}_3`], env);
  expect(requeued.out).toBe('');
  // a requeued job, once its first run is gone, waits out a begin time (two minutes); let it start again now
  for (let tries = 0; !/PENDING/.test(run('squeue', ['-h', '-j', `${arrayId}_3`, '-o', '%T'], env).out); tries++) {
    if (tries > 600) throw new Error(`${arrayId}_3 did not return to the queue after the requeue`);
    await sleep(100);
  }
  // slurmd refuses to launch a job id it killed moments ago ("already killed, do not launch"): give it a few seconds
  await sleep(5000);
  expect(run('scontrol', ['update', `JobId=${arrayId}_3`, 'StartTime=now'], env).code).toBe(0);

  while (squeue(env).length > 0) {
    if (Date.now() > deadline + 300_000) throw new Error(`jobs still queued after 10 minutes: ${squeue(env).join(', ')}`);
    const stuck = run('squeue', ['-h', '-o', '%i %r'], env).out;
    if (stuck.includes('DependencyNeverSatisfied')) throw new Error(`an array task failed, the gather job can never start: ${stuck.trim()}`);
    await sleep(1000);
  }
  const logs = path.join(work, 'logs');
  const log = async (name: string) => fs.readFile(path.join(logs, name), 'utf8');
  const shard3 = await log(`reasonir-encode-${arrayId}_3.out`);
  // the requeued task ran twice and its second run found its first chunk cached
  expect(run('scontrol', ['show', 'job', `${arrayId}_3`], env).out).toMatch(/Restarts=1/);
  // (chunk 7 may or may not have been cached too before the requeue reached the task)
  const lines = [...shard3.matchAll(/shard 3\/4 covers rows 1536-1998 \(chunks of 256\), encoded (\d+) now/g)];
  // the last run's line: a first run the requeue interrupted prints none, one it reached too late prints 462
  const built = lines.at(-1)?.[1];
  expect(['0', '206']).toContain(built);
  const gatherLog = await log(`reasonir-gather-${gatherId}.out`);
  expect(gatherLog).not.toMatch(/error/i);

  // the same evaluation without Slurm or shards, in a cache of its own
  const referenceCache = path.join(work, 'reference-cache');
  const reference = await runReasonir(
    ['eval', '--task', 'biology', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--chunk-rows', String(CHUNK_ROWS), '--data-dir', dataDir, '--out', path.join(work, 'reference')],
    { env: { REASONIR_CACHE: referenceCache, HF_HUB_OFFLINE: '1' } },
  );
  expect(reference.code).toBe(0);
  const runTrec = await fs.readFile(path.join(out, 'biology', 'run.trec'));
  expect(runTrec.equals(await fs.readFile(path.join(work, 'reference', 'biology', 'run.trec')))).toBe(true);
  expect((await documentEmbeddings(cache)).equals(await documentEmbeddings(referenceCache))).toBe(true);
  expect(chunkFiles(cache)).toEqual([]);

  // the gather step again (a requeued gather job): the same files
  const again = await runReasonir(
    ['eval', '--task', 'biology', '--retriever', 'dense', '--model', tinyBert, '--device', 'cpu', '--data-dir', dataDir, '--out', out],
    { env: { REASONIR_CACHE: cache, HF_HUB_OFFLINE: '1' } },
  );
  expect(again.code).toBe(0);
  expect((await fs.readFile(path.join(out, 'biology', 'run.trec'))).equals(runTrec)).toBe(true);
}
