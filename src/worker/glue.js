// The Worker's three calls into the runtime on every request, each one crossing between wasm
// and JavaScript instead of one per header, blob or setter (src/worker/fast.rs says why and
// reads what these return). Strings cross as one joined string: a header value, URL or method
// never holds a newline (the Fetch standard forbids it), so "\n" separates them.

/** Request headers the API reads, in the order `requestHead` writes them (fast.rs: HEAD). */
const HEAD = [
  'content-length', 'content-type', 'authorization', 'idempotency-key', 'origin',
  'cf-connecting-ip', 'x-shopper-id', 'cf-access-jwt-assertion', 'cf-ray', 'x-d1-bookmark',
];

/** Method, URL and the HEAD headers, "\n"-separated; an absent header is "\0". */
export function requestHead(request) {
  const headers = request.headers;
  let out = `${request.method}\n${request.url}`;
  for (const name of HEAD) {
    const value = headers.get(name);
    out += value === null ? '\n\0' : `\n${value}`;
  }
  return out;
}

/** A Response from a status, "name:value" lines and the body's bytes (copied by the runtime). */
export function respond(status, head, body) {
  const headers = [];
  if (head !== '') {
    for (const line of head.split('\n')) {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  return new Response(body.length === 0 ? null : body, { status, headers });
}

/** One Analytics Engine data point on `env[binding]`, its blobs "\n"-separated. */
export function writePoint(env, binding, index, blobs, double1, double2, double3) {
  const dataset = env[binding];
  if (dataset === undefined) return false;
  dataset.writeDataPoint({ indexes: [index], blobs: blobs.split('\n'), doubles: [double1, double2, double3] });
  return true;
}
