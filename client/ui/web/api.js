// The page's only way to talk to the client: the local JSON API of docs/api/client-ui.md.
// Requests are same-origin, carry the launch cookie automatically, and send JSON bodies with
// `Content-Type: application/json` (the client refuses state changes without it).

// An error the candidate can read: `message` is the client's plain-English text when there is
// one. `status` 0 means the client did not answer at all (it is restarting, or was closed).
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

const UNREACHABLE = 'Vigil on this computer is not answering. It may be restarting. '
  + 'Your saved answers are safe. This page will keep trying.';

// Sends one request; resolves with the decoded JSON body (or {} when empty), rejects with an
// ApiError. `keepalive` lets a last save finish while the page is closing.
export async function api(method, path, body, options = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (options.keepalive) init.keepalive = true;
  if (options.signal) init.signal = options.signal;
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', UNREACHABLE);
  }
  let data = {};
  const text = await response.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = {}; }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(response.status, err.code || `http_${response.status}`,
      err.message || defaultMessage(response.status), err.field);
  }
  return data;
}

function defaultMessage(status) {
  if (status === 403) {
    return 'This window has lost its link to Vigil. Close it and start Vigil again; '
      + 'your saved answers are safe.';
  }
  if (status === 404) return 'Vigil could not find what this page asked for. Please try again.';
  if (status === 409) return 'This cannot be done now. Please reload the page.';
  if (status === 503) return 'Vigil is busy or needs an internet connection. Please try again in a moment.';
  return 'Something went wrong in Vigil on this computer. Please try again.';
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}, options) => api('POST', path, body, options);
export const put = (path, body, options) => api('PUT', path, body, options);
