// The hub's REST API as the console uses it: the session token (sessionStorage only, sent in the
// Authorization header, never in a URL), problem+json errors, and authorised downloads.

const SESSION_KEY = 'hub.session';
const API_BASE = '/api/v1';

/** An answer that is not 2xx, from its problem+json body where there is one. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title ?? '';
    this.detail = problem.detail ?? '';
    this.code = problem.code ?? '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

// --- the session ------------------------------------------------------------------------------

export function getSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (!s?.token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

let unauthorized = () => {};

/** Called when the hub answers 401 to a signed-in request (an expired or revoked token). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

/** Ends the session in the page after the hub answered 401 to a request made outside request(). */
export function sessionEnded(problem = {}) {
  if (!getSession()) return;
  clearSession();
  unauthorized(new ApiError(401, problem));
}

export async function signIn(name, password) {
  const answer = await request('POST', '/sessions', { body: { name, password }, anonymous: true });
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token: answer.token, expires_at: answer.expires_at }));
  return answer;
}

// --- requests ---------------------------------------------------------------------------------

/** '/path' plus the query's non-empty values. */
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function problemOf(response) {
  try {
    const type = response.headers.get('Content-Type') ?? '';
    if (type.includes('json')) return await response.json();
  } catch {
    // a body that is not JSON: fall back to the status line
  }
  return { title: response.statusText };
}

/**
 * One API call. Returns the parsed JSON (or text for other content types), or the Response
 * itself when `raw` is set. Throws ApiError on a non-2xx answer or a network failure (status 0).
 */
export async function request(method, path, { query, body, json, raw = false, anonymous = false } = {}) {
  const headers = { Accept: 'application/json' };
  const session = anonymous ? null : getSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined || json !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      // `json`: a body already written as JSON text (numbers kept exactly as typed).
      body: json ?? (body === undefined ? undefined : JSON.stringify(body)),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { code: 'network' });
  }
  if (!response.ok) {
    const error = new ApiError(response.status, await problemOf(response));
    if (response.status === 401 && session) {
      clearSession();
      unauthorized(error);
    }
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  return type.includes('json') ? response.json() : response.text();
}

/**
 * A data request (an interface service's call, a computation's run): like request(), with extra
 * headers (X-Purpose, X-Purpose-Code, X-Request-Id, X-Subject-Authorization), but a refusal is an
 * answer to show, not an error: resolves to {status, ok, body, problem, ledgerIndex, requestId,
 * retryAfter} (retryAfter: the Retry-After header as sent, or null). A 401 still ends the
 * session, and a network failure throws ApiError(0).
 */
export async function dataRequest(method, path, { query, body, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  const session = getSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { code: 'network' });
  }
  const index = response.headers.get('X-Ledger-Index');
  const answer = {
    status: response.status,
    ok: response.ok,
    body: null,
    problem: null,
    ledgerIndex: index === null || index === '' ? null : Number(index),
    requestId: response.headers.get('X-Request-Id') ?? extra['X-Request-Id'] ?? null,
    retryAfter: response.headers.get('Retry-After'),
  };
  if (response.ok) {
    const type = response.headers.get('Content-Type') ?? '';
    answer.body = type.includes('json') ? await response.json() : await response.text();
    return answer;
  }
  const problem = await problemOf(response);
  answer.problem = new ApiError(response.status, problem);
  if (response.status === 401 && session) {
    clearSession();
    unauthorized(answer.problem);
  }
  return answer;
}

/**
 * Uploads a file as the request's body (a registration workbook): its Content-Type from
 * `contentType`. A 422 (or any refusal) is an answer to show, as in dataRequest: resolves to
 * {status, ok, body} with the JSON body of either; a 401 still ends the session, and a network
 * failure throws ApiError(0).
 */
export async function upload(path, { query, file, contentType }) {
  const headers = { Accept: 'application/json', 'Content-Type': contentType };
  const session = getSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(apiUrl(path, query), { method: 'POST', headers, body: file, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { code: 'network' });
  }
  const body = await problemOf(response);
  if (response.status === 401 && session) {
    clearSession();
    unauthorized(new ApiError(401, body));
  }
  return { status: response.status, ok: response.ok, body };
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body: body ?? {} }),
  put: (path, body) => request('PUT', path, { body }),
  putJson: (path, json) => request('PUT', path, { json }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path) => request('DELETE', path),
  text: async (path, query) => (await request('GET', path, { query, raw: true })).text(),
};

/** Every item of a list, following next_cursor (up to `max` items). */
export async function listAll(path, query = {}, max = 5000) {
  const items = [];
  let cursor;
  do {
    const page = await api.get(path, { ...query, limit: 1000, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// Resource code → the resource (a promise; null when it cannot be read), kept while the console
// is open: pages name resources and their items by it.
const resources = new Map();

export function resourceOf(code) {
  if (!resources.has(code)) {
    resources.set(code, api.get(`/resources/${encodeURIComponent(code)}`).catch(() => null));
  }
  return resources.get(code);
}

/** Code → resource for every distinct code (a missing one maps to null). */
export async function resourcesOf(codes) {
  const unique = [...new Set(codes.filter(Boolean))];
  return new Map(await Promise.all(unique.map(async (c) => [c, await resourceOf(c)])));
}

/**
 * Saves an API answer as a file: fetched with the Authorization header, then handed to the
 * browser through an object URL and a temporary <a download>.
 */
export async function download(path, query, filename) {
  const response = await request('GET', path, { query, raw: true });
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken the blob by the next task; keep it a little longer for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
