// `channelscope serve [DIR…]`: the built dashboard and the given results folders over HTTP.
//
// Security model: the server hands out files, nothing else. Only GET and HEAD; a request names a
// file inside the dashboard build (dist/dashboard) or inside one of the folders given on the command line
// (at /results/<index>-<basename>/…), and every path is checked after resolving symlinks, so `..`,
// its percent-encodings, absolute paths and links pointing out of a folder all end in 404. Nothing
// from a request is evaluated or executed. It binds 127.0.0.1 unless --host says otherwise, and then
// also refuses requests whose Host header is not a loopback name (DNS rebinding).
import { existsSync, readFileSync, type Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../user-input/input-error.js';
import { BUILD_INFO_FILE, channelscopeRoot, currentSoftware, softwareLabel } from '../experiment/software.js';
import { integerOption } from './number-options.js';
import { requireResultsFolder } from './fs-errors.js';
import { sessionWriting } from '../experiment/folder-lock.js';
import { LOCK_FILE, PROCEDURE_RESULT_FILE, readByDashboard } from '../experiment/folder-files.js';

export const DEFAULT_PORT = 8321;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Files listed per results folder by /api/results (the walk stops there, and says so): a job array of
 * 4,000 shards, each with its runs.jsonl, spec.json, checkpoint.json and lock.
 */
export const MAX_LISTED_FILES = 16_000;
/** Entries of any kind a listing walks at most (a folder of many other files, data or tables, is not walked whole at every poll). */
export const MAX_WALKED_ENTRIES = 100_000;
const MAX_LIST_DEPTH = 4;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self' data: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ResultsMount {
  /** `<index>-<basename>`: the URL segment of the folder */
  name: string;
  url: string;
  /** the folder as given */
  dir: string;
  /** its real path (symlinks resolved), the root every request into it must stay under */
  root: string;
}

/** What /api/results lists of each served folder. */
export interface ResultsListingEntry {
  name: string;
  url: string;
  /** its files that the dashboard reads (folder-files.ts readByDashboard; links leaving it left out), relative to it, in name order */
  files: string[];
  /** present (true) where the listing stopped short (MAX_LISTED_FILES such files, or MAX_WALKED_ENTRIES entries walked): files after that are not listed */
  truncated?: true;
  /** the channelscope.lock files among them whose session is writing its folder now (folder-lock.ts) */
  liveLocks: string[];
}

export interface DashboardServerOptions {
  /** the built dashboard (index.html and assets) */
  webRoot: string;
  resultDirs: string[];
  host?: string;
  port?: number;
}

export interface DashboardServer {
  server: http.Server;
  url: string;
  mounts: ResultsMount[];
  close(): Promise<void>;
}

/** dist/dashboard next to the package (found from src/cli or dist/src/cli). */
export function defaultWebRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [2, 3].map((up) => path.join(here, ...new Array(up).fill('..'), 'dist', 'dashboard'));
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0];
}

/** The package folder holding the dashboard's sources (web/vite.config.ts). */
function dashboardSourcesRoot(): string {
  const root = channelscopeRoot();
  if (!root || !existsSync(path.join(root, 'web', 'vite.config.ts'))) throw new InputError('the dashboard is not built and its sources are not here: run `npm run build:web`');
  return root;
}

export { BUILD_INFO_FILE };

/**
 * Whether the dashboard build in `webRoot` is missing, made from `software` (the code running now,
 * softwareLabel), or made from other code (its label; "an unknown version" for a build that predates
 * build-info.json): a page from other code would train runs differently from `channelscope run`.
 */
export function dashboardBuildState(webRoot: string, software: string): { state: 'missing' } | { state: 'current' } | { state: 'stale'; builtFrom: string } {
  if (!existsSync(path.join(webRoot, 'index.html'))) return { state: 'missing' };
  let builtFrom = 'an unknown version';
  try {
    const info = JSON.parse(readFileSync(path.join(webRoot, BUILD_INFO_FILE), 'utf8')) as { software?: unknown };
    if (typeof info.software === 'string') builtFrom = info.software;
  } catch {
    // no or unreadable build-info.json: a build from before it existed
  }
  return builtFrom === software ? { state: 'current' } : { state: 'stale', builtFrom };
}

/**
 * Builds the dashboard with Vite when dist/dashboard has no index.html, or rebuilds it when it was
 * made from other code than this (needs the dev dependencies; without them a stale build is served,
 * with a warning).
 */
export async function ensureDashboardBuilt(webRoot: string, log: (line: string) => void): Promise<void> {
  const software = softwareLabel(currentSoftware());
  const build = dashboardBuildState(webRoot, software);
  if (build.state === 'current') return;
  const stale = build.state === 'stale' ? `the dashboard in ${webRoot} was built from ${build.builtFrom}, this is ${software}` : null;
  let root: string;
  let vite: typeof import('vite');
  try {
    root = dashboardSourcesRoot();
    vite = await import('vite');
  } catch (error) {
    if (stale) {
      log(`warning: ${stale}, and it cannot be rebuilt here (${error instanceof InputError ? 'no sources' : 'Vite is not installed'}): runs trained in the page may differ from \`channelscope run\`'s`);
      return;
    }
    if (error instanceof InputError) throw error;
    throw new InputError(`the dashboard is not built (${webRoot} has no index.html) and Vite is not installed: run \`npm install\` then \`npm run build:web\``);
  }
  log(stale ? `${stale}: rebuilding it (npm run build:web)…` : `the dashboard is not built yet: building it into ${webRoot} (npm run build:web)…`);
  await vite.build({ configFile: path.join(root, 'web', 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  if (!existsSync(path.join(webRoot, 'index.html'))) throw new InputError(`building the dashboard did not produce ${path.join(webRoot, 'index.html')}`);
}

function isInside(root: string, file: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * The URL path's segments, decoded; null when the path could leave its folder or is malformed:
 * `.`/`..` segments (literal or percent-encoded), slashes or backslashes inside a segment, NUL bytes.
 */
export function safeSegments(urlPath: string): string[] | null {
  if (!urlPath.startsWith('/')) return null;
  const segments: string[] = [];
  for (const raw of urlPath.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '.' || segment === '..' || /[\\/\0]/.test(segment) || /^[A-Za-z]:/.test(segment)) return null;
    if (segment !== '') segments.push(segment);
  }
  return segments;
}

interface ServedFile {
  file: string;
  size: number;
}

/** A regular file under root (symlinks resolved and checked), or null. */
async function fileUnder(root: string, segments: string[]): Promise<ServedFile | null> {
  const candidate = path.join(root, ...segments);
  if (!isInside(root, candidate)) return null;
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return null;
  }
  if (!isInside(root, real)) return null;
  const info = await stat(real).catch(() => null);
  return info && info.isFile() ? { file: real, size: info.size } : null;
}

/** A folder's files the walk kept, in name order; `truncated` where it stopped at its limit with more to list. */
interface FolderFiles {
  files: string[];
  truncated: boolean;
}

/**
 * Relative paths of the regular files in a folder whose base name `keep` accepts, at most `limit`, in
 * name order, MAX_LIST_DEPTH folders deep, of at most MAX_WALKED_ENTRIES entries walked. Links are followed only where they stay inside; only they
 * cost a realpath and a stat (a job array's folder holds thousands of files, listed at every poll of a
 * page that follows it).
 */
async function listFiles(root: string, keep: (baseName: string) => boolean = () => true, limit = MAX_LISTED_FILES): Promise<FolderFiles> {
  const files: string[] = [];
  let truncated = false;
  let walked = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (truncated) return;
      if (++walked > MAX_WALKED_ENTRIES) {
        truncated = true;
        return;
      }
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      let isFile = entry.isFile();
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const real = await realpath(full).catch(() => null);
        if (!real || !isInside(root, real)) continue;
        const info = await stat(real).catch(() => null);
        [isFile, isDirectory] = [Boolean(info?.isFile()), Boolean(info?.isDirectory())];
      }
      if (isFile && keep(entry.name)) {
        if (files.length >= limit) truncated = true;
        else files.push(relative);
      } else if (isDirectory && depth < MAX_LIST_DEPTH) await walk(full, relative, depth + 1);
    }
  };
  await walk(root, '', 1);
  return { files, truncated };
}

function mountName(index: number, dir: string): string {
  const base = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'results';
  return `${index}-${base}`;
}

async function resolveMounts(dirs: string[]): Promise<ResultsMount[]> {
  const mounts: ResultsMount[] = [];
  for (const [index, dir] of dirs.entries()) {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) throw new InputError(`serve: ${dir} is not a folder (give results folders written by \`channelscope run\`)`);
    const name = mountName(index, dir);
    mounts.push({ name, url: `/results/${encodeURIComponent(name)}/`, dir, root: await realpath(dir) });
  }
  return mounts;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostAllowed(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

/** A folder's entry in /api/results: the files the page reads, and the locks among them of sessions writing it now. */
async function folderListing(mount: ResultsMount): Promise<ResultsListingEntry> {
  const { files, truncated } = await listFiles(mount.root, readByDashboard);
  // judged as a second session would (the holder's process on this machine, else the lock's heartbeat),
  // so that a page following the folder says what `report` says of it
  const liveLocks = files.filter((file) => path.basename(file) === LOCK_FILE && sessionWriting(path.join(mount.root, path.dirname(file))));
  return { name: mount.name, url: mount.url, files, liveLocks, ...(truncated ? { truncated } : {}) };
}

/** Starts the server; resolves once it listens. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? DEFAULT_HOST;
  const webRoot = await realpath(options.webRoot).catch(() => {
    throw new InputError(`serve: the dashboard build ${options.webRoot} does not exist (run \`npm run build:web\`)`);
  });
  const mounts = await resolveMounts(options.resultDirs);
  const loopbackOnly = LOOPBACK_HOSTS.has(host);

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', head = false) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    res.end(head ? undefined : body);
  };

  const sendFile = async (res: http.ServerResponse, found: ServedFile, head: boolean, cache: string, rangeHeader?: string) => {
    // the file as opened: a runs.jsonl growing, or a checkpoint.json replaced (renamed over) since it
    // was found, is sent as it is now, with the length it has now
    const file = await open(found.file, 'r').catch(() => null);
    if (!file) {
      // gone since it was found (a lock released, a temporary file renamed)
      send(res, 404, 'not found\n', undefined, head);
      return;
    }
    let streaming = false;
    try {
      const { size, mtime } = await file.stat();
      const type = CONTENT_TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream';
      const headers = {
        'Content-Type': type,
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': cache,
        'Accept-Ranges': 'bytes',
        'Last-Modified': mtime.toUTCString(),
      };
      // (RFC 9110: a HEAD request's Range is ignored)
      const range = rangeHeader === undefined || head ? null : byteRange(rangeHeader, size);
      if (range === 'unsatisfiable') {
        // (the dashboard following a sweep asks from the end of what it has read; the size says whether the file was cut)
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      const { start, end } = range ?? { start: 0, end: size - 1 };
      if (range) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
      else res.writeHead(200, { ...headers, 'Content-Length': size });
      if (head || size === 0) {
        res.end();
        return;
      }
      // exactly the bytes announced, however the file grows meanwhile
      const stream = file.createReadStream({ start, end });
      streaming = true;
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } finally {
      // (the stream closes it when it ends)
      if (!streaming) await file.close();
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'only GET and HEAD are served\n');
      return;
    }
    if (loopbackOnly && !hostAllowed(req.headers.host)) {
      send(res, 403, 'this server answers only requests addressed to 127.0.0.1 or localhost\n', undefined, head);
      return;
    }
    const target = req.url ?? '/';
    const pathname = target.split('?')[0].split('#')[0];
    const segments = safeSegments(pathname);
    if (!segments) {
      send(res, 404, 'not found\n', undefined, head);
      return;
    }
    if (segments.length === 2 && segments[0] === 'api' && segments[1] === 'results') {
      const listing = await Promise.all(mounts.map(async (m) => folderListing(m)));
      send(res, 200, `${JSON.stringify(listing)}\n`, 'application/json; charset=utf-8', head);
      return;
    }
    if (segments[0] === 'results') {
      const mount = mounts.find((m) => m.name === segments[1]);
      const found = mount && segments.length > 2 ? await fileUnder(mount.root, segments.slice(2)) : null;
      if (!found) send(res, 404, 'not found\n', undefined, head);
      else await sendFile(res, found, head, 'no-store', req.headers.range);
      return;
    }
    const found = await fileUnder(webRoot, segments.length === 0 ? ['index.html'] : segments);
    if (!found) send(res, 404, 'not found\n', undefined, head);
    else await sendFile(res, found, head, segments[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache');
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenRefusal(error, host, options.port ?? DEFAULT_PORT) ?? error));
    server.listen(options.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}/`,
    mounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The bytes a Range header asks for (RFC 9110 §14.1.2), for one range of the forms `bytes=a-b`,
 * `bytes=a-` and `bytes=-n` (the last n): what a dashboard following a growing runs.jsonl asks. null
 * (serve the whole file) for anything else, several ranges included; 'unsatisfiable' where the range
 * starts at or after the end.
 */
export function byteRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const last = Number(match[2]);
    if (last === 0) return 'unsatisfiable';
    // (the last n bytes of an empty file: the whole of it, nothing)
    return size === 0 ? null : { start: Math.max(size - last, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  return end < start ? null : { start, end };
}

/** Why the server could not listen, where --host or --port is the cause; null for anything else. */
function listenRefusal(error: NodeJS.ErrnoException, host: string, port: number): InputError | null {
  switch (error.code) {
    case 'EADDRINUSE':
      return new InputError(`serve: port ${port} on ${host} is in use (choose another with --port)`);
    case 'EACCES':
      return new InputError(`serve: --port ${port}: permission denied (ports below 1024 need privileges; choose another with --port, or 0 for any free one)`);
    case 'EADDRNOTAVAIL':
      return new InputError(`serve: --host ${host} is not an address of this machine (127.0.0.1, the default, or 0.0.0.0 for all of its addresses)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InputError(`serve: --host ${host} is not a known host name or an IP address`);
    default:
      return null;
  }
}

export interface ServeCommandOptions {
  port: string;
  host?: string;
}

/**
 * What serve says at its start of the folders it serves, from one listing of each: those in which the
 * page will find no runs, those a session is writing now (the page follows them), and those with more
 * files than a listing holds.
 */
export async function servedFolderNotes(mounts: readonly ResultsMount[]): Promise<string[]> {
  const listings = await Promise.all(mounts.map(async (mount) => ({ mount, listing: await folderListing(mount) })));
  return listings.flatMap(({ mount, listing }) => [
    // (a procedure preset's folder holds its result instead, which the page opens as its figure)
    ...(listing.files.some((file) => file.endsWith('.jsonl') || path.basename(file) === PROCEDURE_RESULT_FILE)
      ? []
      : [`${mount.dir} holds no runs.jsonl (nor any .jsonl file) and no procedure's result.json yet: the page shows what a run writes into it once opened (its list is read again at each click)`]),
    ...(listing.liveLocks.length > 0 ? [`a session is writing ${mount.dir} now: opened in the page, its runs come in as they finish`] : []),
    ...(listing.truncated
      ? [`${mount.dir} is too large to list whole (more than ${MAX_LISTED_FILES.toLocaleString('en-US')} files the page reads, or ${MAX_WALKED_ENTRIES.toLocaleString('en-US')} entries in all): the page is offered the first ${listing.files.length.toLocaleString('en-US')} (by path), so runs in later folders are not shown`]
      : []),
  ]);
}

/** Runs until SIGINT/SIGTERM. */
export async function serveCommand(dirs: string[], options: ServeCommandOptions): Promise<void> {
  const port = integerOption('--port', options.port, 0, 65535);
  // the folders are checked before the dashboard is built (a minute, the first time)
  for (const dir of dirs) requireResultsFolder(dir, 'serve');
  const webRoot = defaultWebRoot();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await ensureDashboardBuilt(webRoot, log);
  const served = await startDashboardServer({ webRoot, resultDirs: dirs, port, ...(options.host ? { host: options.host } : {}) });
  process.stdout.write(`channelscope dashboard: ${served.url}\n`);
  for (const mount of served.mounts) process.stdout.write(`  results ${mount.dir} → ${served.url.replace(/\/$/, '')}${mount.url}\n`);
  for (const note of await servedFolderNotes(served.mounts)) log(`note: ${note}`);
  if (options.host && !LOOPBACK_HOSTS.has(options.host)) log(`note: listening on ${options.host}: anyone who can reach this address can read the served folders`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      served.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
